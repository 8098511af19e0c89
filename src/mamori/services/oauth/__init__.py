"""The OAuth 2.0 / OpenID Connect provider: authorize, codes, the token endpoint's grants,
userInfo, revocation, hosted-login sessions and logout."""
