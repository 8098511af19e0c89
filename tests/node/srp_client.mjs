#!/usr/bin/env node
// The client half of Cognito SRP, computed by the real JS libraries, for the
// server-side unit tests (tests/unit/crypto/test_srp.py). No network.
//
//   node srp_client.mjs        then one JSON request per line on stdin,
//                              one JSON reply per line on stdout (same order)
//
// Requests ("client" is "cognito-identity-js" (amazon-cognito-identity-js
// AuthenticationHelper + DateHelper) or "amplify" (aws-amplify v6 srp utils)):
//   {op: "start", client, id, realm}
//       realm: the pool name (pool id after "_") or, for devices, the device group key
//       -> {id, A}                      A: hex, as sent in SRP_A
//   {op: "sign", id, userId, password, salt, B, secretBlock}
//       salt, B: hex as in SALT / SRP_B; secretBlock: base64 as in SECRET_BLOCK
//       userId: USER_ID_FOR_SRP, or the device key for devices
//       -> {id, timestamp, signature}   TIMESTAMP and PASSWORD_CLAIM_SIGNATURE
//   {op: "device", client, deviceGroupKey, deviceKey}
//       -> {salt, verifier, password}   DeviceSecretVerifierConfig (base64) and the
//                                        device's random password
// A failing request replies {id?, error: {name, message}}.
// The signing code mirrors what CognitoUser.authenticateUserDefaultAuth /
// getDeviceResponse (cognito-identity-js) and handlePasswordVerifierChallenge /
// handleDeviceSRPAuth (Amplify) do with the helpers' output.

import { createInterface } from 'node:readline';

import cognito from 'amazon-cognito-identity-js';
import sha256 from '@aws-crypto/sha256-js';
import { base64Encoder } from '@aws-amplify/core/internals/utils';

import { emit, errorInfo } from './_harness.mjs';

// Amplify does not export its SRP helpers; import the module file directly.
const amplifySrp = await import(
  new URL(
    './node_modules/@aws-amplify/auth/dist/esm/providers/cognito/utils/srp/index.mjs',
    import.meta.url,
  ).href
);

const { AuthenticationHelper, DateHelper } = cognito;
const { Sha256 } = sha256; // the HMAC class CognitoUser signs with
const exchanges = new Map();

async function startExchange({ client, id, realm }) {
  if (client === 'cognito-identity-js') {
    const helper = new AuthenticationHelper(realm);
    const A = await new Promise((resolve, reject) =>
      helper.getLargeAValue((err, value) => (err ? reject(err) : resolve(value))),
    );
    exchanges.set(id, { client, helper, realm });
    return { A: A.toString(16) };
  }
  if (client === 'amplify') {
    const helper = await amplifySrp.getAuthenticationHelper(realm);
    exchanges.set(id, { client, helper, realm });
    return { A: helper.A.toString(16) };
  }
  throw new Error(`unknown client ${client}`);
}

async function sign({ id, userId, password, salt, B, secretBlock }) {
  const exchange = exchanges.get(id);
  if (!exchange) throw new Error(`unknown exchange ${id}`);
  exchanges.delete(id);
  const { client, helper, realm } = exchange;
  const BigInteger = helper.N.constructor;
  const serverB = new BigInteger(B, 16);
  const saltValue = new BigInteger(salt, 16);
  if (client === 'cognito-identity-js') {
    const hkdf = await new Promise((resolve, reject) =>
      helper.getPasswordAuthenticationKey(userId, password, serverB, saltValue, (err, key) =>
        err ? reject(err) : resolve(key),
      ),
    );
    const timestamp = new DateHelper().getNowString();
    const message = Buffer.concat([
      Buffer.from(realm, 'utf8'),
      Buffer.from(userId, 'utf8'),
      Buffer.from(secretBlock, 'base64'),
      Buffer.from(timestamp, 'utf8'),
    ]);
    const mac = new Sha256(hkdf);
    mac.update(message);
    const signature = Buffer.from(mac.digestSync()).toString('base64');
    return { timestamp, signature };
  }
  const hkdf = await helper.getPasswordAuthenticationKey({
    username: userId,
    password,
    serverBValue: serverB,
    salt: saltValue,
  });
  const timestamp = amplifySrp.getNowString();
  const signature = amplifySrp.getSignatureString({
    userPoolName: realm,
    username: userId,
    challengeParameters: { SECRET_BLOCK: secretBlock },
    dateNow: timestamp,
    hkdf,
  });
  return { timestamp, signature };
}

async function device({ client, deviceGroupKey, deviceKey }) {
  if (client === 'cognito-identity-js') {
    const helper = new AuthenticationHelper('unused');
    await new Promise((resolve, reject) =>
      helper.generateHashDevice(deviceGroupKey, deviceKey, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    return {
      salt: Buffer.from(helper.getSaltDevices(), 'hex').toString('base64'),
      verifier: Buffer.from(helper.getVerifierDevices(), 'hex').toString('base64'),
      password: helper.getRandomPassword(),
    };
  }
  if (client === 'amplify') {
    const helper = await amplifySrp.getAuthenticationHelper('unused');
    await helper.generateHashDevice(deviceGroupKey, deviceKey);
    return {
      salt: base64Encoder.convert(amplifySrp.getBytesFromHex(helper.getSaltToHashDevices())),
      verifier: base64Encoder.convert(amplifySrp.getBytesFromHex(helper.getVerifierDevices())),
      password: helper.getRandomPassword(),
    };
  }
  throw new Error(`unknown client ${client}`);
}

const handlers = { start: startExchange, sign, device };

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  let request = {};
  try {
    request = JSON.parse(line);
    const handler = handlers[request.op];
    if (!handler) throw new Error(`unknown op ${request.op}`);
    emit({ id: request.id, ...(await handler(request)) });
  } catch (err) {
    emit({ id: request.id, error: errorInfo(err) });
  }
}
