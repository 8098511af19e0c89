"""Pure cryptographic primitives: password hashing, JOSE, AEAD, random secrets."""
