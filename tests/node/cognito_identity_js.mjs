#!/usr/bin/env node
// Drive the real, unmodified amazon-cognito-identity-js against a Cognito-
// compatible endpoint.
//
//   node cognito_identity_js.mjs '<json>'      (or "-" and the JSON on stdin)
//
// json = {
//   "endpoint": "http://127.0.0.1:9229",   // CognitoUserPool `endpoint` option (used verbatim as URL)
//   "userPoolId": "us-east-1_xxx",         // must match /^[\w-]+_[0-9a-zA-Z]+$/ (library check)
//   "clientId": "...",
//   "storageFile": "/tmp/x.json",          // optional: persist the Storage (tokens, device keys) across runs
//   "recordHeaders": false,                // optional: add method/url/headers to each "calls" entry
//   "advancedSecurityData": false,         // optional: define AmazonCognitoAdvancedSecurityData (below)
//   "context": {ip?, userAgent?, device?}, // optional: every step's end user (see "End user" below)
//   "steps": [ ... ]
// }
// Steps (each may also carry "name", "expectError", "timeoutMs", and "context" over config's):
//   signUp              {username, password, attributes: {k: v} | [{Name, Value}], validationData?}
//   confirmRegistration {username, code | codeFromFile, forceAliasCreation?}
//   authenticateUser    {username, password, authenticationFlowType?: "USER_SRP_AUTH" (default) | "USER_PASSWORD_AUTH"
//                        | "CUSTOM_AUTH" (SRP first: CHALLENGE_NAME SRP_A, then the custom challenges),
//                        newPassword?, newPasswordAttributes?,        -> answers newPasswordRequired
//                        mfaCode? | codeFromFile? | totpSecret? | totpFromSetup?  -> mfaRequired / totpRequired / mfaSetup
//                        mfaType?  (answer to selectMFAType, default "SOFTWARE_TOKEN_MFA"),
//                        deviceRemember?: true  -> setDeviceStatusRemembered after success,
//                        challengeAnswers?: [...] -> customChallenge answered in turn (challengeAnswer: one)}
//     result: {callbacks: [...callback names hit], userConfirmationNecessary, deviceKey, deviceRemembered?, session,
//              challenges: [ChallengeParameters of each customChallenge]}
//   initiateAuth        {username, authParameters?, clientMetadata?, challengeAnswers: [...]}
//                       CognitoUser.initiateAuth: CUSTOM_AUTH without a password; each customChallenge
//                       answered with the next of challengeAnswers (sendCustomChallengeAnswer)
//     result: {callbacks, challenges: [ChallengeParameters...], session}
//     Device flow: when the Storage already holds a device key for the user (an earlier
//     authenticateUser in this process, or storageFile), the library sends DEVICE_KEY and
//     answers DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER by itself; see "calls".
//   getSession          {}  current user (LastAuthUser) session; refreshes via InitiateAuth
//                           REFRESH_TOKEN_AUTH if the cached tokens are expired
//   refreshSession      {}  forced InitiateAuth REFRESH_TOKEN_AUTH (AuthParameters.DEVICE_KEY is
//                           sent, as JSON null when no device is remembered)
//   getUserAttributes   {}  -> {name: value}
//   updateAttributes    {attributes}
//   changePassword      {oldPassword, newPassword}
//   listDevices         {limit?: 10, paginationToken?}
//   getDevice / forgetDevice / setDeviceStatusRemembered / setDeviceStatusNotRemembered  {}
//   globalSignOut       {}
//   signOut             {}  local sign-out (+ RevokeToken when the token has origin_jti)
//   deleteUser          {}
//   sleep               {ms}
// End user ("context", for threat protection's scenarios): the app runs in a browser at an
// address of its own, and the server trusts 127.0.0.1 as its proxy (trusted_proxies):
//   ip         every request of the step carries X-Forwarded-For: ip
//   userAgent  ... and this User-Agent (the browser's, where the app would run)
//   device     with "advancedSecurityData": the global AmazonCognitoAdvancedSecurityData
//              stands in for AWS's amazon-cognito-advanced-security-data.min.js: the library
//              calls getData(username, userPoolId, clientId) before each request that takes
//              UserContextData and sends what it returns as UserContextData.EncodedData; here an
//              opaque base64 blob naming the device and getData's arguments (no device: nothing,
//              and the library sends UserContextData {}).
// Each "calls" entry also names the end user's ip and the UserContextData the request carried.
// Output: see _harness.mjs.

import cognito from 'amazon-cognito-identity-js';

import {
  HarnessError,
  MemoryStorage,
  emit,
  finish,
  installFetchRecorder,
  readConfig,
  resolveCode,
  runSteps,
  sleep,
} from './_harness.mjs';

const { AuthenticationDetails, CognitoUser, CognitoUserAttribute, CognitoUserPool } = cognito;

const config = readConfig();
const calls = installFetchRecorder({ withHeaders: Boolean(config.recordHeaders) });
let endUser = config.context ?? {};
installEndUser();
const storage = new MemoryStorage(config.storageFile);
const pool = new CognitoUserPool({
  UserPoolId: config.userPoolId,
  ClientId: config.clientId,
  endpoint: config.endpoint,
  Storage: storage,
});

/** The step's end user on each request: outside the recorder, so "calls" shows what was sent. */
function installEndUser() {
  if (config.advancedSecurityData) {
    globalThis.AmazonCognitoAdvancedSecurityData = {
      getData: (username, userPoolId, clientId) => {
        if (!endUser.device) return undefined;
        const data = { version: 'mamori-harness-1', device: endUser.device, username, userPoolId, clientId };
        return Buffer.from(JSON.stringify(data)).toString('base64');
      },
    };
  }
  const recorded = globalThis.fetch;
  globalThis.fetch = (input, init = {}) => {
    const headers = new Headers(init.headers ?? {});
    if (endUser.ip) headers.set('X-Forwarded-For', endUser.ip);
    if (endUser.userAgent) headers.set('User-Agent', endUser.userAgent);
    const sent = recorded(input, { ...init, headers });
    const call = calls[calls.length - 1]; // the recorder noted it synchronously
    if (endUser.ip) call.ip = endUser.ip;
    try {
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : {};
      if (body.UserContextData) call.userContextData = body.UserContextData;
    } catch {
      // not JSON; nothing to note
    }
    return sent;
  };
}

const newUser = (username) => new CognitoUser({ Username: username, Pool: pool, Storage: storage });

function attributeList(attrs) {
  if (!attrs) return [];
  const list = Array.isArray(attrs) ? attrs : Object.entries(attrs).map(([Name, Value]) => ({ Name, Value }));
  return list.map((a) => new CognitoUserAttribute({ Name: a.Name, Value: String(a.Value) }));
}

function sessionInfo(session) {
  if (!session) return null;
  const id = session.getIdToken();
  const access = session.getAccessToken();
  return {
    isValid: session.isValid(),
    idToken: id.getJwtToken(),
    accessToken: access.getJwtToken(),
    refreshToken: session.getRefreshToken()?.getToken() ?? null,
    idTokenPayload: id.decodePayload(),
    accessTokenPayload: access.decodePayload(),
  };
}

/** node-style callback -> promise */
const nodeCb = (fn) =>
  new Promise((resolve, reject) => fn((err, data) => (err ? reject(err) : resolve(data))));

/** {onSuccess, onFailure} callback object -> promise */
const objCb = (fn) => new Promise((resolve, reject) => fn({ onSuccess: resolve, onFailure: reject }));

/** The user the app would have: pool.getCurrentUser() with its session loaded from Storage. */
async function currentUser() {
  const user = pool.getCurrentUser();
  if (!user) throw new HarnessError('HarnessNoCurrentUser', 'no LastAuthUser in storage');
  const session = await nodeCb((cb) => user.getSession(cb));
  user.getCachedDeviceKeyAndPassword(); // sets user.deviceKey for device ops
  return { user, session };
}

function authenticate(s, ctx) {
  const user = newUser(s.username);
  if (s.authenticationFlowType) user.setAuthenticationFlowType(s.authenticationFlowType);
  const details = new AuthenticationDetails({
    Username: s.username,
    Password: s.password,
    ...(s.validationData ? { ValidationData: s.validationData } : {}),
    ...(s.clientMetadata ? { ClientMetadata: s.clientMetadata } : {}),
  });
  const hit = [];
  const asked = [];

  return new Promise((resolve, reject) => {
    const fail = (err) => reject(err);
    const waitEvent = (extra) => () => emit({ step: ctx.stepName, event: 'waitingForCode', file: s.codeFromFile, ...extra });
    const answer = (challengeName, challengeParameters, mfaType) => {
      hit.push(challengeName === 'SMS_MFA' || mfaType === 'SMS_MFA' ? 'mfaRequired' : 'totpRequired');
      resolveCode(s, ctx, 'mfaCode', { onWait: waitEvent({ challengeName, challengeParameters }) })
        .then((code) => user.sendMFACode(code, callbacks, mfaType))
        .catch(fail);
    };
    const callbacks = {
      onSuccess: (session, userConfirmationNecessary) => {
        hit.push('onSuccess');
        const out = {
          callbacks: hit,
          userConfirmationNecessary: Boolean(userConfirmationNecessary),
          deviceKey: user.deviceKey ?? null,
          session: sessionInfo(session),
          challenges: asked,
        };
        if (!s.deviceRemember) return resolve(out);
        if (!user.deviceKey) {
          // Server sent no NewDeviceMetadata (device tracking off?) -> nothing to remember.
          return fail(new HarnessError('HarnessNoDeviceKey', 'deviceRemember: no device key after sign-in'));
        }
        user.setDeviceStatusRemembered({
          onSuccess: (r) => resolve({ ...out, deviceRemembered: r }),
          onFailure: fail,
        });
      },
      onFailure: fail,
      newPasswordRequired: (userAttributes, requiredAttributes) => {
        hit.push('newPasswordRequired');
        if (!s.newPassword) {
          fail(new HarnessError('HarnessNewPasswordRequired', `required attributes: ${JSON.stringify(requiredAttributes)}`));
          return;
        }
        user.completeNewPasswordChallenge(s.newPassword, s.newPasswordAttributes ?? {}, callbacks);
      },
      mfaRequired: (challengeName, challengeParameters) => answer(challengeName, challengeParameters, 'SMS_MFA'),
      totpRequired: (challengeName, challengeParameters) =>
        answer(challengeName, challengeParameters, 'SOFTWARE_TOKEN_MFA'),
      selectMFAType: () => {
        hit.push('selectMFAType');
        user.sendMFASelectionAnswer(s.mfaType ?? 'SOFTWARE_TOKEN_MFA', callbacks);
      },
      mfaSetup: () => {
        hit.push('mfaSetup');
        user.associateSoftwareToken({
          associateSecretCode: (secretCode) => {
            ctx.lastTotpSecret = secretCode;
            // Default: compute the TOTP from the secret just associated.
            const src = s.mfaCode || s.codeFromFile || s.totpSecret ? s : { ...s, totpFromSetup: true };
            resolveCode(src, ctx, 'mfaCode', { onWait: waitEvent({ secretCode }) })
              .then((code) => user.verifySoftwareToken(code, s.friendlyDeviceName ?? 'mamori-harness', callbacks))
              .catch(fail);
          },
          onFailure: fail,
        });
      },
      customChallenge: (challengeParameters) => {
        hit.push('customChallenge');
        const answers = s.challengeAnswers ?? (s.challengeAnswer === undefined ? [] : [s.challengeAnswer]);
        if (asked.length >= answers.length) {
          fail(new HarnessError('HarnessCustomChallenge', `no answer for challenge ${asked.length + 1}`));
          return;
        }
        user.sendCustomChallengeAnswer(answers[asked.length], callbacks, s.clientMetadata);
        asked.push(challengeParameters);
      },
    };
    user.authenticateUser(details, callbacks);
  });
}

/** CognitoUser.initiateAuth: CUSTOM_AUTH with no password, each custom challenge answered in turn. */
function initiateCustomAuth(s) {
  const user = newUser(s.username);
  const details = new AuthenticationDetails({
    Username: s.username,
    ...(s.authParameters ? { AuthParameters: s.authParameters } : {}),
    ...(s.clientMetadata ? { ClientMetadata: s.clientMetadata } : {}),
  });
  const hit = [];
  const asked = [];
  return new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: (session) => {
        hit.push('onSuccess');
        resolve({ callbacks: hit, challenges: asked, session: sessionInfo(session) });
      },
      onFailure: reject,
      customChallenge: (challengeParameters) => {
        hit.push('customChallenge');
        const answers = s.challengeAnswers ?? [];
        if (asked.length >= answers.length) {
          reject(new HarnessError('HarnessCustomChallenge', `no answer for challenge ${asked.length + 1}`));
          return;
        }
        user.sendCustomChallengeAnswer(answers[asked.length], callbacks, s.clientMetadata);
        asked.push(challengeParameters);
      },
    };
    user.initiateAuth(details, callbacks);
  });
}

const ops = {
  signUp: async (s) => {
    const out = await nodeCb((cb) =>
      pool.signUp(s.username, s.password, attributeList(s.attributes), attributeList(s.validationData), cb),
    );
    return { userConfirmed: out.userConfirmed, userSub: out.userSub, codeDeliveryDetails: out.codeDeliveryDetails ?? null };
  },

  confirmRegistration: async (s, ctx) => {
    const code = await resolveCode(s, ctx, 'code');
    return nodeCb((cb) => newUser(s.username).confirmRegistration(code, Boolean(s.forceAliasCreation), cb));
  },

  authenticateUser: (s, ctx) => authenticate(s, ctx),

  initiateAuth: (s) => initiateCustomAuth(s),

  getSession: async () => {
    const { user, session } = await currentUser();
    return { username: user.getUsername(), ...sessionInfo(session) };
  },

  refreshSession: async () => {
    const { user, session } = await currentUser();
    const fresh = await nodeCb((cb) => user.refreshSession(session.getRefreshToken(), cb));
    return sessionInfo(fresh);
  },

  getUserAttributes: async () => {
    const { user } = await currentUser();
    const attrs = await nodeCb((cb) => user.getUserAttributes(cb));
    return Object.fromEntries(attrs.map((a) => [a.getName(), a.getValue()]));
  },

  updateAttributes: async (s) => {
    const { user } = await currentUser();
    return nodeCb((cb) => user.updateAttributes(attributeList(s.attributes), cb));
  },

  changePassword: async (s) => {
    const { user } = await currentUser();
    return nodeCb((cb) => user.changePassword(s.oldPassword, s.newPassword, cb));
  },

  listDevices: async (s) => {
    const { user } = await currentUser();
    return objCb((cb) => user.listDevices(s.limit ?? 10, s.paginationToken ?? null, cb));
  },

  getDevice: async () => {
    const { user } = await currentUser();
    return objCb((cb) => user.getDevice(cb));
  },

  forgetDevice: async () => {
    const { user } = await currentUser();
    return objCb((cb) => user.forgetDevice(cb));
  },

  setDeviceStatusRemembered: async () => {
    const { user } = await currentUser();
    return objCb((cb) => user.setDeviceStatusRemembered(cb));
  },

  setDeviceStatusNotRemembered: async () => {
    const { user } = await currentUser();
    return objCb((cb) => user.setDeviceStatusNotRemembered(cb));
  },

  globalSignOut: async () => {
    const { user } = await currentUser();
    return objCb((cb) => user.globalSignOut(cb));
  },

  signOut: async () => {
    const { user } = await currentUser();
    await new Promise((resolve, reject) => user.signOut((err) => (err ? reject(err) : resolve())));
    return 'SUCCESS';
  },

  deleteUser: async () => {
    const { user } = await currentUser();
    return nodeCb((cb) => user.deleteUser(cb));
  },

  sleep: (s) => sleep(s.ms ?? 1000),
};

/** Each op with its step's end user in place while it runs. */
const opsForEndUser = Object.fromEntries(
  Object.entries(ops).map(([name, fn]) => [
    name,
    (s, ctx) => {
      endUser = { ...config.context, ...s.context };
      return fn(s, ctx);
    },
  ]),
);

finish(await runSteps(config.steps, opsForEndUser, {}, { calls }));
