#!/usr/bin/env node
// Drive the real, unmodified Amplify JS v6 Auth category against a Cognito-
// compatible endpoint.
//
//   node amplify.mjs '<json>'      (or pass "-" and the JSON on stdin)
//
// json = {
//   "endpoint": "http://127.0.0.1:9229",       // -> Cognito.userPoolEndpoint
//   "userPoolId": "us-east-1_xxx",             // region is parsed from this by Amplify
//   "clientId": "...",                         // -> Cognito.userPoolClientId
//   "identityPoolId": "us-east-1:...",         // optional
//   "identityPoolEndpoint": "http://...",      // optional
//   "allowGuestAccess": false,                 // optional (guest credentials)
//   "storageFile": "/tmp/x.json",              // optional: persist Amplify's key/value store
//   "recordHeaders": false,                    // optional: add method/url/headers to each "calls" entry
//   "steps": [ {"op": "signIn", "username": "...", "password": "..."}, ... ]
// }
// Every step may also carry "name" (label used in the output), "expectError"
// (continue after a failure) and "timeoutMs" (default 30000).
//
// Output: see _harness.mjs (one JSON line per step).
//
// Notes from reading node_modules/@aws-amplify/{core,auth} (aws-amplify 6.22.1,
// @aws-amplify/auth 6.21.1):
//  * Storage: without `window`, @aws-amplify/core's DefaultStorage falls back to
//    InMemoryStorage (core/dist/esm/storage/utils.mjs getLocalStorageWithFallback),
//    so tokens live in process memory; nothing to polyfill in Node >= 18.
//  * Token refresh: providers/cognito/utils/refreshAuthTokens.mjs calls
//    **GetTokensFromRefreshToken** {ClientId, RefreshToken, DeviceKey?,
//    ClientMetadata?} — NOT InitiateAuth REFRESH_TOKEN_AUTH (older 6.x did). It
//    runs on fetchAuthSession({forceRefresh: true}) or when the access/id token
//    is expired. A missing RefreshToken in the response keeps the old one.
//  * Requests: POST <userPoolEndpoint as given>, headers content-type:
//    application/x-amz-json-1.1, x-amz-target: AWSCognitoIdentityProviderService.<Op>,
//    x-amz-user-agent: "aws-amplify/6.22.1 auth/<n> framework/<n>", cache-control:
//    no-store. Unsigned (no Authorization header).
//  * signOut() swallows GlobalSignOut / RevokeToken errors (only clears local
//    tokens); RevokeToken is only called when the access token has `origin_jti`.
//  * Identity pool logins key = the ID token's `iss` with the scheme stripped
//    (credentialsProvider/utils.mjs formLoginsMap), e.g. "127.0.0.1:9229/us-east-1_abc".

import { Amplify } from 'aws-amplify';
import {
  confirmResetPassword,
  confirmSignIn,
  confirmSignUp,
  deleteUser,
  fetchAuthSession,
  fetchDevices,
  fetchMFAPreference,
  fetchUserAttributes,
  forgetDevice,
  getCurrentUser,
  rememberDevice,
  resendSignUpCode,
  resetPassword,
  setUpTOTP,
  signIn,
  signOut,
  signUp,
  updateMFAPreference,
  updatePassword,
  updateUserAttributes,
  verifyTOTPSetup,
} from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';

import {
  MemoryStorage,
  emit,
  finish,
  installFetchRecorder,
  readConfig,
  resolveCode,
  runSteps,
  sleep,
} from './_harness.mjs';

const config = readConfig();
const calls = installFetchRecorder({ withHeaders: Boolean(config.recordHeaders) });

const cognito = {
  userPoolId: config.userPoolId,
  userPoolClientId: config.clientId,
  userPoolEndpoint: config.endpoint,
};
if (config.identityPoolId) cognito.identityPoolId = config.identityPoolId;
if (config.identityPoolEndpoint) cognito.identityPoolEndpoint = config.identityPoolEndpoint;
if (config.allowGuestAccess !== undefined) cognito.allowGuestAccess = config.allowGuestAccess;

Amplify.configure({ Auth: { Cognito: cognito } });

if (config.storageFile) {
  // Only to carry tokens/device keys across processes; by default Amplify's own
  // in-memory fallback storage is used.
  const store = new MemoryStorage(config.storageFile);
  cognitoUserPoolsTokenProvider.setKeyValueStorage({
    setItem: async (k, v) => store.setItem(k, v),
    getItem: async (k) => store.getItem(k),
    removeItem: async (k) => store.removeItem(k),
    clear: async () => store.clear(),
  });
}

/** Remember a TOTP shared secret if this signIn/confirmSignIn output carries one. */
function noteTotp(ctx, output) {
  const secret = output?.nextStep?.totpSetupDetails?.sharedSecret;
  if (secret) ctx.lastTotpSecret = secret;
  return output;
}

function session(s) {
  const out = {};
  if (s.tokens?.idToken) out.idToken = s.tokens.idToken.toString();
  if (s.tokens?.accessToken) out.accessToken = s.tokens.accessToken.toString();
  if (s.userSub) out.userSub = s.userSub;
  if (s.identityId) out.identityId = s.identityId;
  if (s.credentials) {
    const c = s.credentials;
    out.credentials = {};
    if (c.accessKeyId) out.credentials.accessKeyId = c.accessKeyId;
    out.credentials.secretAccessKey = Boolean(c.secretAccessKey);
    out.credentials.sessionToken = Boolean(c.sessionToken);
    if (c.expiration) out.credentials.expiration = new Date(c.expiration).toISOString();
  }
  return out;
}

const ops = {
  signUp: (s) =>
    signUp({
      username: s.username,
      password: s.password,
      options: { userAttributes: s.attributes ?? {}, ...(s.options ?? {}) },
    }),

  confirmSignUp: async (s, ctx) =>
    confirmSignUp({ username: s.username, confirmationCode: await resolveCode(s, ctx, 'code') }),

  resendSignUpCode: (s) => resendSignUpCode({ username: s.username }),

  // Returns {isSignedIn, nextStep}.
  signIn: async (s, ctx) =>
    noteTotp(
      ctx,
      await signIn({
        username: s.username,
        password: s.password,
        options: { authFlowType: s.authFlowType ?? 'USER_PASSWORD_AUTH', ...(s.options ?? {}) },
      }),
    ),

  // Returns {isSignedIn, nextStep}. challengeResponse may come from
  // codeFromFile / totpSecret / totpFromSetup (see _harness.resolveCode).
  confirmSignIn: async (s, ctx) =>
    noteTotp(
      ctx,
      await confirmSignIn({
        challengeResponse: await resolveCode(s, ctx, 'challengeResponse', {
          onWait: () => emit({ step: ctx.stepName, event: 'waitingForCode', file: s.codeFromFile }),
        }),
        ...(s.options ? { options: s.options } : {}),
      }),
    ),

  getCurrentUser: () => getCurrentUser(),

  fetchAuthSession: async (s) => session(await fetchAuthSession({ forceRefresh: Boolean(s.forceRefresh) })),

  fetchUserAttributes: () => fetchUserAttributes(),

  updateUserAttributes: (s) => updateUserAttributes({ userAttributes: s.attributes }),

  updatePassword: (s) => updatePassword({ oldPassword: s.oldPassword, newPassword: s.newPassword }),

  resetPassword: (s) => resetPassword({ username: s.username }),

  confirmResetPassword: async (s, ctx) =>
    confirmResetPassword({
      username: s.username,
      newPassword: s.newPassword,
      confirmationCode: await resolveCode(s, ctx, 'code'),
    }),

  setUpTOTP: async (_s, ctx) => {
    const out = await setUpTOTP();
    ctx.lastTotpSecret = out.sharedSecret;
    return { sharedSecret: out.sharedSecret, setupUri: out.getSetupUri('mamori').toString() };
  },

  verifyTOTPSetup: async (s, ctx) => verifyTOTPSetup({ code: await resolveCode(s, ctx, 'code') }),

  updateMFAPreference: (s) => updateMFAPreference({ sms: s.sms, totp: s.totp, email: s.email }),

  fetchMFAPreference: () => fetchMFAPreference(),

  rememberDevice: () => rememberDevice(),

  fetchDevices: () => fetchDevices(),

  forgetDevice: (s) => forgetDevice(s.deviceId ? { device: { id: s.deviceId } } : undefined),

  signOut: (s) => signOut({ global: Boolean(s.global) }),

  deleteUser: () => deleteUser(),

  sleep: (s) => sleep(s.ms ?? 1000),
};

finish(await runSteps(config.steps, ops, {}, { calls }));
