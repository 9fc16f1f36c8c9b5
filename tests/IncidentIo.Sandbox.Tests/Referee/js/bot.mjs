// botframework-connector against the Sandbox's Bot Framework.
// Scenario "channelAuth": { openIdMetadataUrl, appId, cases: [{ name, authorization, activity }] }
//   JwtTokenValidation.authenticateRequest judges each request the Sandbox's channel sent (or a tampered copy).
// Scenario "connector": { origin, serviceUrl, appId, secret, tenantId, userId, userWithoutApp, missingConversation }
//   ConnectorClient, with a connector token from the Sandbox's botframework.com authority, drives a
//   one-to-one conversation and meets the connector's refusals.
import {
  AuthenticationConstants,
  ChannelValidation,
  ConnectorClient,
  JwtTokenValidation,
  MsalServiceClientCredentialsFactory,
  SimpleCredentialProvider,
} from 'botframework-connector';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { claimsOf, describeError, print, readInput } from './common.mjs';

const input = await readInput();

async function channelAuth() {
  // The SDK's documented hook for another channel metadata endpoint (public cloud otherwise).
  ChannelValidation.OpenIdMetadataEndpoint = input.openIdMetadataUrl;
  const credentials = new SimpleCredentialProvider(input.appId, '');
  const results = {};
  for (const request of input.cases) {
    try {
      const identity = await JwtTokenValidation.authenticateRequest(request.activity, request.authorization, credentials, '');
      results[request.name] = {
        ok: identity.isAuthenticated,
        claims: Object.fromEntries(identity.claims.map((c) => [c.type, c.value])),
      };
    } catch (error) {
      results[request.name] = { ok: false, error: describeError(error) };
    }
  }

  return results;
}

async function connector() {
  // The Sandbox's botframework.com authority stands in for login.microsoftonline.com/botframework.com;
  // MSAL needs it listed as known, so the bot's MSAL app is handed to the SDK's MSAL factory.
  const msal = new ConfidentialClientApplication({
    auth: {
      clientId: input.appId,
      clientSecret: input.secret,
      authority: `${input.origin}/botframework.com`,
      knownAuthorities: [new URL(input.origin).host],
    },
  });
  const factory = new MsalServiceClientCredentialsFactory(input.appId, msal);
  const credentials = await factory.createCredentials(
    input.appId,
    AuthenticationConstants.ToChannelFromBotOAuthScope,
    AuthenticationConstants.ToChannelFromBotLoginUrl,
    true,
  );
  const token = await credentials.getToken(true);
  const client = new ConnectorClient(credentials, { baseUri: input.serviceUrl });
  const conversations = client.conversations;
  const result = { tokenClaims: claimsOf(token) };

  const created = await conversations.createConversation({
    isGroup: false,
    bot: { id: `28:${input.appId}` },
    members: [{ id: input.userId }],
    tenantId: input.tenantId,
    channelData: { tenant: { id: input.tenantId } },
  });
  result.conversationId = created.id;

  const sent = await conversations.sendToConversation(created.id, { type: 'message', text: 'Incident INC-7 declared' });
  result.sentId = sent.id;

  const updated = await conversations.updateActivity(created.id, sent.id, {
    type: 'message',
    id: sent.id,
    text: 'Incident INC-7 resolved',
  });
  result.updatedId = updated.id;

  const members = await conversations.getConversationMembers(created.id);
  result.members = members.map((m) => ({ id: m.id, aadObjectId: m.aadObjectId, name: m.name }));
  const paged = await conversations.getConversationPagedMembers(created.id, { pageSize: 10 });
  result.pagedMembers = paged.members.map((m) => m.id);

  result.refusals = {
    userWithoutApp: await refusal(() => conversations.createConversation({
      isGroup: false,
      bot: { id: `28:${input.appId}` },
      members: [{ id: input.userWithoutApp }],
      tenantId: input.tenantId,
      channelData: { tenant: { id: input.tenantId } },
    })),
    missingConversation: await refusal(() => conversations.sendToConversation(input.missingConversation, { type: 'message', text: 'hello' })),
    missingActivity: await refusal(() => conversations.updateActivity(created.id, '1', { type: 'message', id: '1', text: 'nothing here' })),
  };
  return result;
}

async function refusal(call) {
  try {
    await call();
    return { refused: false };
  } catch (error) {
    return { refused: true, ...describeError(error) };
  }
}

try {
  print(input.scenario === 'channelAuth' ? await channelAuth() : await connector());
} catch (error) {
  print({ failed: describeError(error), stack: error?.stack ?? null });
}
