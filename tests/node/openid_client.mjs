#!/usr/bin/env node
// Drive the real, unmodified openid-client (v6, panva) as an OpenID Connect
// relying party against a mamori hosted domain.
//
//   node openid_client.mjs '<json>'      (or pass "-" and the JSON on stdin)
//
// json = {
//   "server": "https://<prefix>.auth.localhost:8443/.well-known/openid-configuration",
//                                        // discovery URL (or an issuer URL without /.well-known/)
//   "clientId": "...",
//   "clientSecret": "...",               // optional: client_secret_basic; else a public client
//   "redirectUri": "http://localhost:3000/callback",
//   "scope": "openid email profile",     // default "openid email profile phone"
//   "loopbackLocalhost": true,           // resolve *.localhost to 127.0.0.1, as browsers do
//   "steps": [...]
// }
// Trust a test CA with NODE_EXTRA_CA_CERTS (openid-client refuses plain http).
//
// ops:
//   discovery                 -> the discovered server metadata
//   authorize {callbackFile}  -> builds the authorization URL (PKCE S256, state, nonce),
//        emits {"event": "waitingForCode", "file": callbackFile, "authorizationUrl": ...};
//        the test signs in (hosted form) and writes the callback URL it reached to the
//        file; then authorizationCodeGrant validates the callback and the ID token
//        (signature by the domain's JWKS with enableNonRepudiationChecks, iss, aud, exp,
//        nonce) and this script checks at_hash. Result: {claims, scope, tokenType,
//        expiresIn, hasRefreshToken, atHash}
//   userinfo                  -> fetchUserInfo(access token, expected sub)
//   refresh                   -> refreshTokenGrant: {claims?, scope, newAccessToken}
//   revoke                    -> tokenRevocation(refresh token, hint refresh_token)
//
// Output: see _harness.mjs (one JSON line per step).

import dns from 'node:dns';
import * as client from 'openid-client';

import { emit, finish, readConfig, resolveCode, runSteps } from './_harness.mjs';

const config = readConfig();

if (config.loopbackLocalhost) {
  // Browsers answer *.localhost on loopback (RFC 6761); Node asks the resolver, which may not.
  const lookup = dns.lookup;
  dns.lookup = (host, options, callback) => {
    if (typeof options === 'function') [options, callback] = [{}, options];
    if (/(^|\.)localhost$/i.test(host)) {
      const all = typeof options === 'object' && options?.all;
      return all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4);
    }
    return lookup(host, options, callback);
  };
}

const base64url = (bytes) => Buffer.from(bytes).toString('base64url');

/** OIDC Core 3.1.3.6: the left half of SHA-256 of the access token, base64url. */
async function atHash(accessToken) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)));
  return base64url(digest.slice(0, digest.length / 2));
}

async function discover(ctx) {
  if (ctx.oidc) return ctx.oidc;
  const auth = config.clientSecret ? client.ClientSecretBasic(config.clientSecret) : client.None();
  const metadata = config.clientSecret ? { client_secret: config.clientSecret } : undefined;
  ctx.oidc = await client.discovery(new URL(config.server), config.clientId, metadata, auth);
  client.enableNonRepudiationChecks(ctx.oidc);
  return ctx.oidc;
}

const ops = {
  discovery: async (_s, ctx) => (await discover(ctx)).serverMetadata(),

  authorize: async (s, ctx) => {
    const oidc = await discover(ctx);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(oidc, {
      redirect_uri: config.redirectUri,
      scope: s.scope ?? config.scope ?? 'openid email profile phone',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const callback = await resolveCode({ codeFromFile: s.callbackFile }, ctx, 'callbackUrl', {
      onWait: () =>
        emit({ step: ctx.stepName, event: 'waitingForCode', file: s.callbackFile, authorizationUrl: url.href }),
    });
    const tokens = await client.authorizationCodeGrant(oidc, new URL(callback), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    const expected = await atHash(tokens.access_token);
    if (claims.at_hash !== expected) {
      throw new Error(`at_hash ${claims.at_hash} is not ${expected}`);
    }
    ctx.tokens = tokens;
    ctx.sub = claims.sub;
    return {
      claims,
      scope: tokens.scope ?? null,
      tokenType: tokens.token_type,
      expiresIn: tokens.expiresIn(),
      hasRefreshToken: Boolean(tokens.refresh_token),
      accessToken: tokens.access_token,
      atHash: expected,
    };
  },

  userinfo: async (_s, ctx) => client.fetchUserInfo(await discover(ctx), ctx.tokens.access_token, ctx.sub),

  refresh: async (_s, ctx) => {
    const tokens = await client.refreshTokenGrant(await discover(ctx), ctx.tokens.refresh_token);
    const out = { newAccessToken: tokens.access_token !== ctx.tokens.access_token, scope: tokens.scope ?? null };
    if (tokens.id_token) out.claims = tokens.claims();
    ctx.refreshed = tokens;
    return out;
  },

  revoke: async (_s, ctx) => {
    await client.tokenRevocation(await discover(ctx), ctx.tokens.refresh_token, {
      token_type_hint: 'refresh_token',
    });
    return { revoked: true };
  },
};

finish(await runSteps(config.steps, ops, {}));
