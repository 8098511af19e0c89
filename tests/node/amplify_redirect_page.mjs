// A tiny web app for the browser test of Amplify v6's hosted-UI redirect
// (tests/clients/test_amplify_redirect.py): bundled for the browser with esbuild
// (`esbuild amplify_redirect_page.mjs --bundle --format=esm`), served with
// /config.json by the test; Playwright calls window.app.* and reads
// window.authEvents (Amplify's Hub "auth" events).
//
// config.json = {userPoolId, userPoolClientId, userPoolEndpoint, domain, scopes,
//                redirectSignIn: [...], redirectSignOut: [...], responseType?: 'code' | 'token',
//                identityPoolId?, identityPoolEndpoint?}
// app.signIn(provider?) calls signInWithRedirect({ provider }) when given ('Google', ...,
// tests/clients/test_amplify_google_redirect.py), the hosted login page otherwise. With an
// identityPoolId, app.session() also has the identity id and the AWS credentials
// fetchAuthSession got from the identity pool.

import { Amplify } from 'aws-amplify';
import { fetchAuthSession, getCurrentUser, signInWithRedirect, signOut } from 'aws-amplify/auth';
import { Hub } from 'aws-amplify/utils';

window.authEvents = [];
Hub.listen('auth', ({ payload }) => {
  window.authEvents.push({ event: payload.event, message: payload.data?.error?.message ?? payload.data?.message ?? null });
});

const config = await (await fetch('/config.json')).json();

const cognito = {
  userPoolId: config.userPoolId,
  userPoolClientId: config.userPoolClientId,
  userPoolEndpoint: config.userPoolEndpoint,
  loginWith: {
    oauth: {
      domain: config.domain,
      scopes: config.scopes,
      redirectSignIn: config.redirectSignIn,
      redirectSignOut: config.redirectSignOut,
      responseType: config.responseType ?? 'code',
    },
  },
};
if (config.identityPoolId) cognito.identityPoolId = config.identityPoolId;
if (config.identityPoolEndpoint) cognito.identityPoolEndpoint = config.identityPoolEndpoint;
Amplify.configure({ Auth: { Cognito: cognito } });

const describe = (err) => ({ name: err?.name ?? 'Error', message: err?.message ?? String(err) });

window.app = {
  signIn: (provider) =>
    signInWithRedirect(provider ? { provider } : undefined).catch((err) =>
      window.authEvents.push({ event: 'signInCallFailed', ...describe(err) }),
    ),
  signOut: () => signOut().catch((err) => window.authEvents.push({ event: 'signOutCallFailed', ...describe(err) })),
  session: async () => {
    const s = await fetchAuthSession();
    return {
      idToken: s.tokens?.idToken?.toString() ?? null,
      accessToken: s.tokens?.accessToken?.toString() ?? null,
      userSub: s.userSub ?? null,
      identityId: s.identityId ?? null,
      credentials: s.credentials
        ? {
            accessKeyId: s.credentials.accessKeyId,
            secretAccessKey: s.credentials.secretAccessKey,
            sessionToken: s.credentials.sessionToken ?? null,
            expiration: s.credentials.expiration?.toISOString() ?? null,
          }
        : null,
    };
  },
  user: () => getCurrentUser().catch((err) => ({ error: describe(err) })),
};
window.ready = true;
