// Listing a bucket with the identity pool's AWS credentials: the AWS SDK's S3 client, its
// credentials asked of Amplify's fetchAuthSession on each call (Amplify refreshes them when
// they expire).

import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { fetchAuthSession } from 'aws-amplify/auth';

/**
 * @param {object} deployment config.json: {region, s3Endpoint?}. s3Endpoint is for an
 *   S3-compatible server (moto in the tests); leave it out for AWS S3.
 */
export function s3Client(deployment) {
  return new S3Client({
    region: deployment.region,
    ...(deployment.s3Endpoint ? { endpoint: deployment.s3Endpoint, forcePathStyle: true } : {}),
    credentials: async () => {
      const { credentials } = await fetchAuthSession();
      if (!credentials) throw new Error('No AWS credentials: sign in first');
      return credentials;
    },
  });
}

/** Every key under `prefix` in `bucket` (pages followed). */
export async function listKeys(s3, bucket, prefix = '') {
  const keys = [];
  let ContinuationToken;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }));
    for (const object of page.Contents ?? []) keys.push(object.Key);
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys;
}
