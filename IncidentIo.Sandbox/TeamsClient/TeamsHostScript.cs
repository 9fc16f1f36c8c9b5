namespace IncidentIo.Sandbox.TeamsClient;

/// <summary>
/// The parent side of the <c>@microsoft/teams-js</c> (2.58.0) host protocol, served as
/// <c>/sandbox/teams/host.js</c>. Read from the package's own source (<c>MicrosoftTeams.js</c>):
/// the tab posts <c>{id, uuidAsString, func, args}</c> to its parent; the host answers
/// <c>{id, uuidAsString, args}</c> to that window and origin; host-to-tab events are
/// <c>{func, args}</c> without a numeric id. <c>initialize</c> is answered with
/// <c>[frameContext, hostClientType, runtimeConfig (JSON string), clientSupportedSDKVersion]</c>;
/// <c>getContext</c> with the v1-shaped context teams-js maps to <c>app.Context</c>;
/// <c>authentication.getAuthToken</c> with <c>[true, token]</c> or <c>[false, reason]</c>.
/// The page gives the script its context in <c>#teams-host-config</c> (JSON).
/// </summary>
public static class TeamsHostScript
{
    public const string Path = "/sandbox/teams/host.js";

    public const string Source = """
        "use strict";
        (() => {
          const config = JSON.parse(document.getElementById("teams-host-config").textContent);
          const frame = document.getElementById("tab-frame");
          // Looked up when needed: the dialog's Save button comes after this script in the page.
          const saveButton = () => document.getElementById("save-tab");
          // What teams-js reads to decide which capabilities are "supported" (runtime apiVersion 4).
          const runtimeConfig = {
            apiVersion: 4,
            hostVersionsInfo: { adaptiveCardSchemaVersion: { majorVersion: 1, minorVersion: 5 } },
            isLegacyTeams: false,
            supports: { authentication: {}, pages: { config: {}, tabs: {} }, teamsCore: {} },
          };
          let pendingConfig = null;
          const note = (text) => { const status = document.getElementById("host-status"); if (status) status.textContent = text; };

          const handlers = {
            initialize: () => [config.context.frameContext, "web", JSON.stringify(runtimeConfig), "2.58.0"],
            getContext: () => [config.context],
            "authentication.getAuthToken": async () => {
              try {
                const response = await fetch(config.tokenUrl, {
                  method: "POST",
                  headers: { "Content-Type": "application/json" },
                  credentials: "same-origin",
                  body: JSON.stringify({ teamsAppId: config.teamsAppId }),
                });
                const body = await response.json();
                return response.ok && body.token ? [true, body.token] : [false, body.error || "resourceDisabled"];
              } catch (e) {
                return [false, "tokenRevoked"];
              }
            },
            "settings.getSettings": () => [pendingConfig || {}],
            "settings.setSettings": (instanceConfig) => { pendingConfig = instanceConfig || {}; return [true]; },
            "settings.setValidityState": (valid) => { if (saveButton()) saveButton().disabled = !valid; note(valid ? "Ready to save" : "Not ready to save"); },
            "settings.save.success": () => pinTab(),
            "settings.save.failure": (reason) => note("The app refused to save: " + (reason || "no reason given")),
            registerHandler: () => undefined,
            "appInitialization.appLoaded": () => note("Loaded"),
            "appInitialization.success": () => note("Ready"),
            "appInitialization.failure": (reason, message) => note("The app failed to start: " + reason + (message ? " (" + message + ")" : "")),
            "appInitialization.expectedFailure": (reason, message) => note("The app could not start: " + reason + (message ? " (" + message + ")" : "")),
          };
          // Fire-and-forget messages: teams-js waits for no answer (notifySuccess only would if the runtime
          // declared app.notifySuccessResponse, which ours does not).
          const oneWay = new Set(["registerHandler", "settings.setValidityState", "settings.save.success", "settings.save.failure",
            "appInitialization.appLoaded", "appInitialization.success", "appInitialization.failure", "appInitialization.expectedFailure"]);

          window.addEventListener("message", async (event) => {
            if (!frame || event.source !== frame.contentWindow) return;
            const message = event.data;
            if (!message || typeof message !== "object" || typeof message.func !== "string") return;
            const reply = (args) => event.source.postMessage({ id: message.id, uuidAsString: message.uuidAsString, args }, event.origin);
            const handler = handlers[message.func];
            if (!handler) {
              console.warn("Sandbox Teams host: unsupported call", message.func, message.args);
              // An SdkError (NOT_SUPPORTED_ON_PLATFORM), so a caller waiting for an answer does not hang.
              reply([{ errorCode: 100, message: "Not supported by the Sandbox Teams host: " + message.func }]);
              return;
            }
            const result = await handler(...(message.args || []));
            if (!oneWay.has(message.func)) reply(result);
          });

          async function pinTab() {
            const settings = pendingConfig || {};
            const response = await fetch(config.saveUrl, {
              method: "POST",
              headers: { "Content-Type": "application/json" },
              credentials: "same-origin",
              body: JSON.stringify({
                teamsAppId: config.teamsAppId,
                displayName: settings.suggestedDisplayName || config.appName,
                entityId: settings.entityId || null,
                contentUrl: settings.contentUrl || null,
                websiteUrl: settings.websiteUrl || null,
                removeUrl: settings.removeUrl || null,
              }),
            });
            const body = await response.json();
            if (response.ok && body.location) {
              window.location.assign(body.location);
            } else {
              note("Could not add the tab: " + (body.error || response.status));
            }
          }

          document.addEventListener("click", (event) => {
            if (!saveButton() || event.target !== saveButton()) return;
            saveButton().disabled = true;
            note("Saving…");
            // What Teams does on Save: the page's save handler runs, then tells us success or failure.
            frame.contentWindow.postMessage({ func: "settings.save", args: [{}] }, new URL(frame.src).origin);
          });
        })();
        """;
}
