// The tab's side of Teams: the host SDK (served by us), Teams' context and the SSO token.

let sdk;

function loadSdk() {
    sdk ??= new Promise((resolve, reject) => {
        if (window.microsoftTeams) {
            resolve(window.microsoftTeams);
            return;
        }
        const script = document.createElement("script");
        script.src = "/teams/js/MicrosoftTeams.min.js";
        script.onload = () => resolve(window.microsoftTeams);
        script.onerror = () => reject(new Error("The Teams script (/teams/js/MicrosoftTeams.min.js) could not be loaded."));
        document.head.appendChild(script);
    });
    return sdk;
}

function withTimeout(promise, ms, what) {
    return Promise.race([
        promise,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s.`)), ms)),
    ]);
}

function message(error) {
    return String(error?.message ?? error ?? "unknown error");
}

// Outside an iframe this is a plain browser page: the caller falls back to normal sign-in.
export function isInsideFrame() {
    return window.parent !== window;
}

// validOrigins: hosts besides Microsoft's own that may host the tab (the Sandbox's Teams view in Sandbox mode).
export async function connect(timeoutMs, validOrigins) {
    if (!isInsideFrame()) {
        return { inTeams: false };
    }
    try {
        const teams = await loadSdk();
        await withTimeout(teams.app.initialize(validOrigins ?? []), timeoutMs, "Teams");
        const context = await withTimeout(teams.app.getContext(), timeoutMs, "Teams");
        let token = null;
        let tokenError = null;
        try {
            token = await withTimeout(teams.authentication.getAuthToken(), timeoutMs, "Teams sign-in");
        } catch (error) {
            tokenError = message(error);
        }
        teams.app.notifySuccess();
        return {
            inTeams: true,
            token,
            tokenError,
            teamName: context.team?.displayName ?? null,
            channelName: context.channel?.displayName ?? null,
            frameContext: context.page?.frameContext ?? null,
            userPrincipalName: context.user?.userPrincipalName ?? null,
        };
    } catch (error) {
        return { inTeams: true, error: message(error) };
    }
}

// The configurable tab's settings page: Save pins our tab with these addresses.
export async function offerTabConfiguration(timeoutMs, validOrigins, entityId, contentUrl, websiteUrl, displayName) {
    const teams = await loadSdk();
    await withTimeout(teams.app.initialize(validOrigins ?? []), timeoutMs, "Teams");
    teams.pages.config.registerOnSaveHandler(async saveEvent => {
        try {
            await teams.pages.config.setConfig({ entityId, contentUrl, websiteUrl, suggestedDisplayName: displayName });
            saveEvent.notifySuccess();
        } catch (error) {
            saveEvent.notifyFailure(message(error));
        }
    });
    teams.pages.config.setValidityState(true);
    teams.app.notifySuccess();
}
