// @azure/msal-node's ConfidentialClientApplication against the Sandbox's Entra.
// Input: { origin, tenant, clientId, secret, redirectUri, scenario, email?, scopes? }
// Scenarios: clientCredentials, authCode (PKCE, driving the sign-in and consent pages with fetch),
// authCodeWrongRedirect (sign-in asked with an unregistered redirect URI), authCodeRedeemElsewhere
// (the code redeemed with another registered redirect URI than it was issued for: otherRedirectUri).
import { ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import { claimsOf, describeError, print, readInput } from './common.mjs';

const input = await readInput();
const app = new ConfidentialClientApplication({
  auth: {
    clientId: input.clientId,
    clientSecret: input.secret,
    authority: `${input.origin}/${input.tenant}`,
    // msal-node's documented switch for an authority outside Microsoft's list: no instance discovery.
    knownAuthorities: [new URL(input.origin).host],
  },
});

async function run(scenario) {
  switch (scenario) {
    case 'clientCredentials': {
      const result = await app.acquireTokenByClientCredential({ scopes: input.scopes });
      return { ok: true, tokenType: result.tokenType, scopes: result.scopes, claims: claimsOf(result.accessToken) };
    }
    case 'authCode':
      return authCode(input.redirectUri);
    case 'authCodeWrongRedirect':
      return authCode(`${input.redirectUri}/not-registered`);
    case 'authCodeRedeemElsewhere':
      return authCode(input.redirectUri, input.otherRedirectUri);
    default:
      throw new Error(`Unknown scenario ${scenario}`);
  }
}

async function authCode(redirectUri, redeemWith = redirectUri) {
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const state = `state-${Date.now()}`;
  const url = await app.getAuthCodeUrl({
    scopes: input.scopes,
    redirectUri,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
    state,
    responseMode: 'query',
  });
  const browser = new Browser();
  let page = await browser.get(url);
  const pages = [page.kind];
  if (page.kind === 'signIn') {
    page = await browser.submit(page, { Email: input.email });
    pages.push(page.kind);
  }

  if (page.kind === 'consent') {
    page = await browser.submit(page, { action: 'accept' });
    pages.push(page.kind);
  }

  if (page.kind !== 'redirect') {
    return { ok: false, pages, status: page.status, html: page.html.slice(0, 2000) };
  }

  const returned = Object.fromEntries(new URL(page.location).searchParams);
  if (!returned.code) {
    return { ok: false, pages, returned };
  }

  const result = await app.acquireTokenByCode(
    { code: returned.code, scopes: input.scopes, redirectUri: redeemWith, codeVerifier: verifier, state },
    { code: returned.code, state: returned.state },
  );
  return {
    ok: true,
    pages,
    stateEchoed: returned.state === state,
    scopes: result.scopes,
    account: { username: result.account.username, tenantId: result.account.tenantId, homeAccountId: result.account.homeAccountId },
    idTokenClaims: result.idTokenClaims,
    accessTokenClaims: claimsOf(result.accessToken),
  };
}

/** A person at a browser: keeps the Sandbox's cookies, submits forms, stops at the redirect to the app. */
class Browser {
  cookies = new Map();

  async get(url) {
    return this.read(await fetch(url, { redirect: 'manual', headers: this.headers() }), url);
  }

  async submit(page, fields) {
    const form = page.html.match(/<form method="post" action="([^"]*)"[^>]*>(.*?)<\/form>/s);
    if (!form) {
      throw new Error(`No form on the page: ${page.html.slice(0, 500)}`);
    }

    const body = new URLSearchParams();
    for (const [, name, value] of form[2].matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"/g)) {
      body.set(decode(name), decode(value));
    }

    for (const [name, value] of Object.entries(fields)) {
      body.set(name, value);
    }

    const action = new URL(decode(form[1]), page.url).toString();
    const response = await fetch(action, { method: 'POST', redirect: 'manual', body, headers: this.headers() });
    return this.read(response, action);
  }

  headers() {
    return this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  async read(response, url) {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair.indexOf('=');
      this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }

    const html = await response.text();
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const target = new URL(location, url);
      if (target.origin === new URL(input.origin).origin) {
        return this.get(target.toString());
      }

      return { kind: 'redirect', status: response.status, location: target.toString(), url, html };
    }

    const kind = html.includes('>Sign in</button>') ? 'signIn' : html.includes('>Accept</button>') ? 'consent' : 'other';
    return { kind, status: response.status, url, html };
  }
}

function decode(text) {
  return text.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

try {
  print(await run(input.scenario));
} catch (error) {
  print({ ok: false, error: describeError(error) });
}
