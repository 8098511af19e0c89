// What a Node.js custom sender function does with request.code when mamori encrypts codes under
// a local key (custom_sender_key): the AWS Encryption SDK for JavaScript with a raw AES keyring,
// namespace "mamori", name "custom-sender" (docs/triggers.md, Messages). Reads
// {"key": base64 key, "code": request.code} as argv[2]; prints {"code", "context"}.
import { buildDecrypt } from "@aws-crypto/decrypt-node";
import { CommitmentPolicy } from "@aws-crypto/material-management-node";
import {
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from "@aws-crypto/raw-aes-keyring-node";

const { key, code } = JSON.parse(process.argv[2]);
const keyring = new RawAesKeyringNode({
  keyNamespace: "mamori",
  keyName: "custom-sender",
  unencryptedMasterKey: new Uint8Array(Buffer.from(key, "base64")),
  wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
});
const { decrypt } = buildDecrypt(CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT);
const { plaintext, messageHeader } = await decrypt(keyring, Buffer.from(code, "base64"));
console.log(
  JSON.stringify({ code: plaintext.toString("utf8"), context: messageHeader.encryptionContext }),
);
