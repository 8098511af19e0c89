#!/usr/bin/env node
// AWS SDK for JavaScript v3: identity-pool credentials, then S3 with them.
//
//   node sdk_identity.mjs '<json>'      (or "-" and the JSON on stdin)
//
// json = {
//   "endpoint": "http://127.0.0.1:9229",    // cognito-identity endpoint (CognitoIdentityClient)
//   "region": "us-east-1",
//   "identityPoolId": "us-east-1:...",
//   "logins": {"127.0.0.1:9229/us-east-1_abc": "<id token>"},  // optional; omit for guest
//   "customRoleArn": "...",                 // optional
//   "s3Endpoint": "http://127.0.0.1:9000",
//   "bucket": "b", "key": "k", "body": "hello",
//   "s3Options": {...},                     // optional extra S3Client config (e.g.
//                                           //   {"requestChecksumCalculation": "WHEN_REQUIRED"})
//   "steps": [...]                          // optional; default below
// }
// Default steps: getCredentials, putObject, getObject. Each step may override
// bucket/key/body and carry "name", "expectError", "timeoutMs". Extra ops:
// deleteObject, getId (plain GetId call, no provider cache).
//
// Output (see _harness.mjs), e.g.:
//   {"step":"getCredentials","ok":true,"result":{"identityId":"us-east-1:...","accessKeyId":"...",
//     "secretAccessKey":true,"sessionToken":true,"expiration":"..."}}
//   {"step":"putObject","ok":true,"result":{"httpStatusCode":200,"ETag":"\"...\""}}
//   {"step":"getObject","ok":true,"result":{"httpStatusCode":200,"body":"hello"}}
//   {"step":"putObject","ok":false,"error":{"name":"AccessDenied","message":"...","httpStatusCode":403}}
//
// Both SDK clients use Node's http(s) module (not fetch), so there is no
// "calls" recording here. CognitoIdentity GetId / GetCredentialsForIdentity
// are unsigned operations; S3 requests are SigV4-signed with the returned
// temporary credentials (including X-Amz-Security-Token).

import { CognitoIdentityClient, GetIdCommand } from '@aws-sdk/client-cognito-identity';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { fromCognitoIdentityPool } from '@aws-sdk/credential-provider-cognito-identity';

import { finish, readConfig, runSteps } from './_harness.mjs';

const config = readConfig();
const region = config.region ?? 'us-east-1';

const identityClient = new CognitoIdentityClient({ endpoint: config.endpoint, region });
const credentials = fromCognitoIdentityPool({
  client: identityClient,
  identityPoolId: config.identityPoolId,
  ...(config.logins ? { logins: config.logins } : {}),
  ...(config.customRoleArn ? { customRoleArn: config.customRoleArn } : {}),
});

let s3;
const getS3 = () => {
  s3 ??= new S3Client({
    endpoint: config.s3Endpoint,
    region,
    forcePathStyle: true,
    credentials,
    ...(config.s3Options ?? {}),
  });
  return s3;
};

const arg = (s, k) => s[k] ?? config[k];

const ops = {
  getCredentials: async () => {
    const c = await credentials();
    return {
      identityId: c.identityId,
      accessKeyId: c.accessKeyId,
      secretAccessKey: Boolean(c.secretAccessKey),
      sessionToken: Boolean(c.sessionToken),
      ...(c.expiration ? { expiration: new Date(c.expiration).toISOString() } : {}),
    };
  },

  getId: async (s) => {
    const out = await identityClient.send(
      new GetIdCommand({ IdentityPoolId: config.identityPoolId, Logins: s.logins ?? config.logins }),
    );
    return { identityId: out.IdentityId };
  },

  putObject: async (s) => {
    const out = await getS3().send(
      new PutObjectCommand({ Bucket: arg(s, 'bucket'), Key: arg(s, 'key'), Body: arg(s, 'body') ?? '' }),
    );
    return { httpStatusCode: out.$metadata.httpStatusCode, ETag: out.ETag ?? null };
  },

  getObject: async (s) => {
    const out = await getS3().send(new GetObjectCommand({ Bucket: arg(s, 'bucket'), Key: arg(s, 'key') }));
    return { httpStatusCode: out.$metadata.httpStatusCode, body: await out.Body.transformToString() };
  },

  deleteObject: async (s) => {
    const out = await getS3().send(new DeleteObjectCommand({ Bucket: arg(s, 'bucket'), Key: arg(s, 'key') }));
    return { httpStatusCode: out.$metadata.httpStatusCode };
  },
};

const steps = config.steps ?? [{ op: 'getCredentials' }, { op: 'putObject' }, { op: 'getObject' }];
finish(await runSteps(steps, ops, {}));
