// Shows the reconnect dialog while the Blazor circuit is down, and retries or resumes it.
const reconnectModal = document.getElementById("components-reconnect-modal");
reconnectModal.addEventListener("components-reconnect-state-changed", handleReconnectStateChanged);
document.getElementById("components-reconnect-button").addEventListener("click", retry);
document.getElementById("components-resume-button").addEventListener("click", resume);

function handleReconnectStateChanged(event) {
  if (event.detail.state === "show") {
    reconnectModal.showModal();
  } else if (event.detail.state === "hide") {
    reconnectModal.close();
  } else if (event.detail.state === "failed") {
    document.addEventListener("visibilitychange", retryWhenDocumentBecomesVisible);
  } else if (event.detail.state === "rejected") {
    location.reload();
  }
}

async function retry() {
  document.removeEventListener("visibilitychange", retryWhenDocumentBecomesVisible);
  try {
    // true: reconnected; false: the server is up but no longer has this circuit.
    const reconnected = await Blazor.reconnect();
    if (!reconnected) {
      const resumed = await Blazor.resumeCircuit();
      if (!resumed) {
        location.reload();
      } else {
        reconnectModal.close();
      }
    }
  } catch {
    document.addEventListener("visibilitychange", retryWhenDocumentBecomesVisible);
  }
}

async function resume() {
  try {
    if (!(await Blazor.resumeCircuit())) {
      location.reload();
    }
  } catch {
    reconnectModal.classList.replace("components-reconnect-paused", "components-reconnect-resume-failed");
  }
}

async function retryWhenDocumentBecomesVisible() {
  if (document.visibilityState === "visible") {
    await retry();
  }
}
