// The sample app: Amplify v6 against mamori. Each action logs one line in #log
// (data-step, data-outcome) and the page shows where the user is (#status), so a person or
// a test (tests/clients/test_amplify_sample_app.py) can follow every step.

import { Amplify } from 'aws-amplify';
import {
  confirmSignIn,
  confirmSignUp,
  fetchAuthSession,
  fetchMFAPreference,
  getCurrentUser,
  setUpTOTP,
  signIn,
  signInWithRedirect,
  signOut,
  signUp,
  updateMFAPreference,
  verifyTOTPSetup,
} from 'aws-amplify/auth';
import { Hub } from 'aws-amplify/utils';

import { amplifyConfig } from './amplify-config.js';
import { listKeys, s3Client } from './s3.js';

const $ = (id) => document.getElementById(id);

function log(step, text, outcome = 'ok', error = undefined) {
  const item = document.createElement('li');
  item.dataset.step = step;
  item.dataset.outcome = outcome;
  if (error) item.dataset.error = error;
  item.textContent = `${step}: ${text}`;
  $('log').append(item);
}

function show(id, visible) {
  $(id).hidden = !visible;
}

/** Runs an action from a form or button, logging its failure (named as Cognito names it). */
function action(step, run) {
  return async (event) => {
    event?.preventDefault();
    try {
      await run(event?.target);
    } catch (err) {
      log(step, `${err?.name ?? 'Error'}: ${err?.message ?? err}`, 'error', err?.name ?? 'Error');
    }
  };
}

const field = (form, name) => form.elements.namedItem(name).value.trim();

const deployment = await (await fetch('/config.json')).json();
Amplify.configure(amplifyConfig(deployment, window.location.origin));
const s3 = s3Client(deployment);

// Where the last sign-in came from, for #status.
let signedInWith = null;

async function refresh() {
  let user = null;
  try {
    user = await getCurrentUser();
  } catch {
    user = null; // UserUnAuthenticatedException: nobody is signed in
  }
  show('signed-out', !user);
  show('signed-in', Boolean(user));
  if (!user) {
    $('status').textContent = 'Signed out';
    return;
  }
  $('status').textContent = `Signed in as ${user.username}${signedInWith ? ` (${signedInWith})` : ''}`;
  $('status').dataset.username = user.username;
  const mfa = await fetchMFAPreference();
  $('mfa-preference').textContent = mfa.enabled?.length
    ? `MFA: ${mfa.enabled.join(', ')}${mfa.preferred ? ` (preferred: ${mfa.preferred})` : ''}`
    : 'MFA: none';
}

// What Cognito asks next after signIn / confirmSignIn.
let pendingTotpSetup = false;
async function nextSignInStep(nextStep) {
  const step = nextStep.signInStep;
  show('confirm-sign-in', step === 'CONFIRM_SIGN_IN_WITH_TOTP_CODE');
  if (step === 'DONE') {
    signedInWith = 'password';
    show('totp-setup', false);
    await refresh();
  } else if (step === 'CONTINUE_SIGN_IN_WITH_TOTP_SETUP') {
    // A pool with MFA on: the authenticator app is set up as part of signing in.
    pendingTotpSetup = true;
    showTotpSecret(nextStep.totpSetupDetails.sharedSecret, nextStep.totpSetupDetails.getSetupUri('mamori sample'));
  } else if (step === 'CONFIRM_SIGN_UP') {
    show('confirm-sign-up', true);
  } else if (step !== 'CONFIRM_SIGN_IN_WITH_TOTP_CODE') {
    log('signIn', `${step} is not handled by this sample`, 'error', step);
  }
}

function showTotpSecret(secret, uri) {
  $('totp-secret').textContent = secret;
  $('totp-uri').textContent = uri.toString();
  show('totp-setup', true);
}

$('sign-up').addEventListener(
  'submit',
  action('signUp', async (form) => {
    const username = field(form, 'username');
    const { nextStep } = await signUp({
      username,
      password: form.elements.namedItem('password').value,
      options: { userAttributes: { email: field(form, 'email') } },
    });
    $('confirm-sign-up').elements.namedItem('username').value = username;
    $('sign-in').elements.namedItem('username').value = username;
    const sent = nextStep.codeDeliveryDetails;
    log('signUp', `${nextStep.signUpStep}${sent ? ` (code sent by ${sent.deliveryMedium} to ${sent.destination})` : ''}`);
    show('confirm-sign-up', nextStep.signUpStep === 'CONFIRM_SIGN_UP');
  }),
);

$('confirm-sign-up').addEventListener(
  'submit',
  action('confirmSignUp', async (form) => {
    const { isSignUpComplete, nextStep } = await confirmSignUp({
      username: field(form, 'username'),
      confirmationCode: field(form, 'code'),
    });
    log('confirmSignUp', isSignUpComplete ? 'confirmed' : nextStep.signUpStep);
    show('confirm-sign-up', !isSignUpComplete);
  }),
);

$('sign-in').addEventListener(
  'submit',
  action('signIn', async (form) => {
    const { nextStep } = await signIn({
      username: field(form, 'username'),
      password: form.elements.namedItem('password').value,
    });
    log('signIn', nextStep.signInStep);
    await nextSignInStep(nextStep);
  }),
);

$('confirm-sign-in').addEventListener(
  'submit',
  action('confirmSignIn', async (form) => {
    const { nextStep } = await confirmSignIn({ challengeResponse: field(form, 'code') });
    form.reset();
    log('confirmSignIn', nextStep.signInStep);
    await nextSignInStep(nextStep);
  }),
);

$('hosted-sign-in').addEventListener(
  'click',
  action('signInWithRedirect', () => signInWithRedirect()),
);

$('set-up-totp').addEventListener(
  'click',
  action('setUpTOTP', async () => {
    const setup = await setUpTOTP();
    const { username } = await getCurrentUser();
    showTotpSecret(setup.sharedSecret, setup.getSetupUri('mamori sample', username));
    log('setUpTOTP', 'scan the secret, then enter a code');
  }),
);

$('verify-totp').addEventListener(
  'submit',
  action('verifyTOTPSetup', async (form) => {
    const code = field(form, 'code');
    form.reset();
    if (pendingTotpSetup) {
      const { nextStep } = await confirmSignIn({ challengeResponse: code });
      pendingTotpSetup = false;
      log('confirmSignIn', nextStep.signInStep);
      await nextSignInStep(nextStep);
      return;
    }
    await verifyTOTPSetup({ code });
    await updateMFAPreference({ totp: 'PREFERRED' });
    show('totp-setup', false);
    log('verifyTOTPSetup', 'authenticator app verified, TOTP preferred');
    await refresh();
  }),
);

$('fetch-credentials').addEventListener(
  'click',
  action('fetchAuthSession', async () => {
    const { identityId, credentials } = await fetchAuthSession();
    if (!credentials) throw new Error('the identity pool gave no credentials');
    $('identity-id').textContent = identityId;
    $('access-key-id').textContent = credentials.accessKeyId;
    $('credentials-expiration').textContent = credentials.expiration?.toISOString() ?? '';
    show('credentials', true);
    log('fetchAuthSession', `credentials for ${identityId}`);
  }),
);

$('list-bucket').addEventListener(
  'submit',
  action('listBucket', async (form) => {
    const bucket = field(form, 'bucket');
    $('objects').replaceChildren();
    const keys = await listKeys(s3, bucket, field(form, 'prefix'));
    for (const key of keys) {
      const item = document.createElement('li');
      item.textContent = key;
      $('objects').append(item);
    }
    $('objects').dataset.bucket = bucket;
    log('listBucket', `${keys.length} object(s) in ${bucket}`);
  }),
);

$('sign-out').addEventListener(
  'click',
  action('signOut', async () => {
    await signOut(); // after a hosted sign-in this goes on to mamori's /logout and back here
    signedInWith = null;
    show('credentials', false);
    $('objects').replaceChildren();
    log('signOut', 'signed out');
    await refresh();
  }),
);

// After the hosted login, Amplify redeems the code on this page's load and says so on the Hub.
Hub.listen('auth', ({ payload }) => {
  if (payload.event === 'signInWithRedirect') {
    signedInWith = 'hosted login';
    log('signInWithRedirect', 'back from the hosted login');
    refresh();
  } else if (payload.event === 'signInWithRedirect_failure') {
    const err = payload.data?.error;
    log('signInWithRedirect', `${err?.name}: ${err?.message}`, 'error', err?.name ?? 'Error');
  }
});

$('list-bucket').elements.namedItem('bucket').value = deployment.bucket ?? '';
await refresh();
document.body.dataset.ready = 'true';
