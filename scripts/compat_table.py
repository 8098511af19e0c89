"""Generate docs/compatibility.md: every operation of botocore's Cognito models, and ours.

    .venv/bin/python scripts/compat_table.py           # rewrite docs/compatibility.md
    .venv/bin/python scripts/compat_table.py --check   # exit 1 when the committed file is stale

tests/compat/test_compatibility_doc.py fails when the committed file differs from the output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import botocore
import botocore.session

import mamori.api.aws.cognito_idp.register
import mamori.app  # noqa: F401  (imports every handler module the server registers)
from mamori.api.aws.dispatch import is_public
from mamori.api.aws.operations import IDENTITY, IDP, REGISTRY

DOC = Path(__file__).resolve().parent.parent / "docs" / "compatibility.md"

SERVICES = (
    (IDP, "cognito-idp", "Amazon Cognito user pools"),
    (IDENTITY, "cognito-identity", "Amazon Cognito identity pools"),
)

HTTP_ENDPOINTS = (
    ("POST /", "The AWS JSON 1.1 APIs above, chosen by `X-Amz-Target`", "per operation"),
    ("GET /health", 'Readiness: 200 `{"status": "ok"}`, 503 without the database', "none"),
    ("GET /{UserPoolId}/.well-known/jwks.json", "The pool's signing keys (RS256 JWKs)", "none"),
    ("GET /{UserPoolId}/.well-known/openid-configuration", "OpenID discovery document", "none"),
    (
        "GET /{UserPoolId}/forward-auth?client_id=&scope=&group=",
        "Forward auth, a mamori extension (Cognito has none): the endpoint Caddy's "
        "forward_auth, nginx's auth_request and Traefik's ForwardAuth call for each request "
        "(any method). The bearer access token is checked as GetUser checks it (signature, "
        "expiry, `token_use`, the pool's issuer, revocation, its client, its user enabled; "
        "client_credentials tokens too) and against the query: `client_id` any of, `scope` "
        "all of, `group` any of. 200 with `X-Mamori-Sub`, `X-Mamori-Username`, "
        "`X-Mamori-Groups`, `X-Mamori-Scope`, `X-Mamori-Client-Id` (empty when the token has "
        "none); 401 `invalid_token`, 403 `insufficient_scope`, 400 `invalid_request` in "
        "`WWW-Authenticate` (RFC 6750 section 3). Reads only (docs/integrations.md, Caddy)",
        "Bearer access token",
    ),
    (
        "GET {domain}/oauth2/authorize",
        "Authorization endpoint (docs/oauth.md): `response_type` code or token, `client_id`, "
        "`redirect_uri` (exactly a CallbackURL; DefaultRedirectURI when left out), `state`, "
        "`scope` (within AllowedOAuthScopes; all of them when left out), `nonce`, "
        "`code_challenge` + `code_challenge_method` S256 (required for clients without a "
        "secret), `identity_provider` (COGNITO, or a provider of the client's "
        "SupportedIdentityProviders: a redirect to it), `idp_identifier` (the provider holding "
        "that IdpIdentifier), `lang`, `login_hint`, `prompt` login or none. Redirects to "
        "`/login`, or straight back with a code or tokens while the hosted-login session lasts "
        "(1 hour)",
        "none (the session cookie)",
    ),
    (
        "GET, POST {domain}/oauth2/idpresponse",
        "Where OIDC, Google, Facebook, Login with Amazon and Sign in with Apple providers send "
        "the browser back "
        "(docs/federation.md): `code` and `state` (sealed, 15 minutes, bound to the browser "
        "that started it), or the provider's "
        "`error`. Redeems the code (PKCE S256), verifies the ID token (JWKS signature, iss, aud, "
        "nonce, exp), reads userinfo by `attributes_request_method`, makes or refreshes "
        "`<ProviderName>_<sub>` (EXTERNAL_PROVIDER, `identities`, the group "
        "`<poolId>_<ProviderName>`), then redirects to the client as /login does. Facebook and "
        "Login with Amazon: the code redeemed with the client secret for an access token, the "
        "profile read with it (Graph /me with the mapped fields at `api_version`; Amazon's "
        "/user/profile), the user `Facebook_<id>` / `LoginWithAmazon_<user_id>`. Sign in with "
        "Apple: its form_post (POST: `code`, `state`, `user`, `error`, bounded) sealed for two "
        "minutes and sent with 303 to the GET (`?answer=`) that carries the SameSite=Lax "
        "cookie; the code redeemed with an ES256 client secret, the ID token verified, "
        "`firstName`, `lastName`, `name` from the first-time `user` JSON, the user "
        "`SignInWithApple_<sub>`. Errors "
        "redirect to the client, or show the error page while the request is unknown",
        "none (the federation cookie)",
    ),
    (
        "POST {domain}/oauth2/token",
        "Token endpoint (docs/oauth.md), form-encoded only, no parameter twice, at most 64 KiB: "
        "`grant_type` authorization_code (`code`, `redirect_uri` exactly as authorized, "
        "`code_verifier` S256; codes single use, 5 minutes, a replay revokes what the code "
        "issued), refresh_token (`refresh_token`; a new one when the client rotates, with "
        "RefreshTokenReuse's rules), client_credentials (`scope` optional: the client's "
        "resource-server scopes that still exist). `client_id`; `client_secret` in the form or "
        "HTTP Basic. Answers `access_token`, `id_token` (with `openid`; `nonce`, `at_hash`), "
        "`refresh_token`, `token_type`, `expires_in`; errors as RFC 6749 section 5.2 JSON",
        "client_secret_basic, client_secret_post, or none for public clients",
    ),
    (
        "GET, POST {domain}/oauth2/userInfo",
        "The user's attributes by the token's scopes, as Cognito: `openid` alone every readable "
        "attribute; `profile`, `email`, `phone` their claims; `sub` and `username` always; "
        "`insufficient_scope` (403) without `openid`",
        "Bearer access token",
    ),
    (
        "POST {domain}/oauth2/revoke",
        "`token`: a refresh token, revoking every token of its sign-in; 200 with an empty body "
        "(unknown tokens too); an access token is `unsupported_token_type`",
        "as the token endpoint",
    ),
    (
        "POST {domain}/oauth2/introspect",
        "RFC 7662 token introspection, a mamori extension (Cognito has no introspection "
        'endpoint): `token`, an access token of the domain\'s pool; `{"active": true}` with '
        "its claims (`scope`, `client_id`, `username`, `sub`, `exp`, `iat`, `iss`, `token_use`, "
        '...) and `token_type`, or `{"active": false}` when it is expired, revoked, forged, '
        "another pool's, its client deleted or its user disabled or deleted, or not an access "
        "token (docs/integrations.md: mod_auth_openidc refuses revoked tokens with it)",
        "as the token endpoint; a client with a secret",
    ),
    (
        "GET {domain}/logout",
        "Ends the hosted-login session: `client_id` + `logout_uri` (exactly a LogoutURL), or "
        "`client_id` + `redirect_uri` + `response_type` (+ the authorize parameters) to sign "
        "in again",
        "none",
    ),
    (
        "GET, POST {domain}/saml2/idpresponse",
        "A SAML provider's answer (docs/federation.md, SAML): POST binding, `SAMLResponse` "
        "(up to 100,000 characters) and `RelayState` (mamori's token, or the authorize "
        "parameters for an IdP-initiated sign-in when IDPInit is true); checked, then a 303 "
        "to the GET that finishes in the browser that started the sign-in",
        "none (the IdP's signature; the federation cookie)",
    ),
    (
        "GET {domain}/saml2/logout",
        "SAML single logout, HTTP-Redirect binding: the IdP's LogoutResponse continues /logout; "
        "an IdP's signed LogoutRequest ends its user's sessions and is answered",
        "none (the IdP's signature)",
    ),
    (
        "GET {domain}/saml2/metadata",
        "The pool's SAML SP metadata (mamori's own; Cognito documents none): entity id "
        "`urn:amazon:cognito:sp:<UserPoolId>`, ACS and SLO URLs, signing and encryption "
        "certificates",
        "none",
    ),
    (
        "GET, POST {domain}/login, /login/choose, /mfa, /mfa/select, /mfa/setup, "
        "/forceChangePassword",
        "The hosted sign-in pages (docs/hosted-ui.md): username and password, USER_AUTH's "
        "choice (password, email or text code; no passkeys), NEW_PASSWORD_REQUIRED with the "
        "required attributes, MFA codes (SMS, authenticator app, email), SELECT_MFA_TYPE, "
        "authenticator set-up with a QR code; every rule of InitiateAuth. Each carries the "
        "authorization request in its query; forms need their CSRF token; `lang` and "
        "Accept-Language pick one of Cognito's 11 languages (English and Japanese translated). "
        "A client without COGNITO: its provider buttons (and the corporate email form) only",
        "none (CSRF cookie and token; the session cookie once signed in)",
    ),
    (
        "GET {domain}/static/mamori.css",
        "The pages' stylesheet, fingerprinted (`?v=`), cached a year",
        "none",
    ),
    (
        "GET {domain}/.well-known/openid-configuration",
        "Discovery naming the domain's endpoints in the form the request used; the per-pool "
        "document names them too once the pool has a domain",
        "none",
    ),
    ("GET {domain}/.well-known/jwks.json", "The pool's signing keys, on its domain", "none"),
    (
        "GET /identity/.well-known/jwks.json",
        "The identity pools' token issuer's keys, for STS to verify its tokens",
        "none",
    ),
    (
        "GET /identity/.well-known/openid-configuration",
        "The identity pools' token issuer's discovery document",
        "none",
    ),
    (
        "GET /auth-events/feedback?pool=&value=&token=",
        "The one-click links of an account-takeover notification (docs/threat-protection.md, "
        "Notifications): records `value` (valid or invalid) as the user's feedback on the "
        "event the sealed `token` names, and answers a small page; again is the same answer; "
        "an altered, expired or unknown link is a 400 page",
        "none (the sealed token)",
    ),
    (
        "GET /admin/outbox?pool=&to=&limit=&latest=",
        "Messages kept by the outbox sender (codes, invitations), for `outbox_retention_hours` "
        "(default 7 days; the purge deletes older ones)",
        "HTTP Basic: admin key id and secret",
    ),
)

# Where mamori refuses what AWS refuses, and where it refuses more on purpose (issue 9, item 12).
VALIDATION_NOTES = (
    "## Validation",
    "",
    "Requests are refused as AWS refuses them, with its exception and, where AWS's wording is",
    "known, its message:",
    "",
    "- **What the model refuses** (required members, lengths, ranges, patterns, enums):",
    "  `InvalidParameterException` from `cognito-idp`, `ValidationException` from",
    "  `cognito-identity` (its front door's error; `1 validation error detected: ...` in both).",
    "  Wrong JSON types are `SerializationException` in both.",
    "- **Pool schemas** (CreateUserPool `Schema`, AddCustomAttributes): a custom attribute without",
    "  `AttributeDataType` (`Invalid AttributeDataType input, consider using the provided",
    "  AttributeDataType enum.`); a standard attribute given another type or",
    "  `DeveloperOnlyAttribute` (`You can not change AttributeDataType or set",
    "  developerOnlyAttribute for standard schema attribute <name>`); string lengths over 2048",
    "  (`user.<name>: String attributes cannot have a length of more than 2048`); a minimum over",
    "  its maximum (`user.<name>: Max length cannot be less than min length.`, `... Max value",
    "  cannot be less than min value.`); a required custom attribute; a custom attribute that",
    "  exists (`custom:<name>: Existing attribute already has name <existing>.`); more than 50",
    "  custom attributes.",
    "- **Phone numbers**: `+` followed by ASCII digits, as Cognito documents (`+12065551212`);",
    "  no length rule beyond the attribute's own 2048 characters.",
    "- **GetCredentialsForIdentity**: when STS refuses, the caller gets Cognito's message (for",
    "  a role problem `Invalid identity pool configuration. Check assigned IAM roles for this",
    "  pool.`); the role ARN, the account and STS's answer are logged with the request id.",
    "",
    "Stricter than AWS, on purpose:",
    "",
    "- Schema constraints are checked whether or not the entry names its `AttributeDataType`",
    "  (AWS is reported to check them only when it does), and negative lengths are refused.",
    "- `custom:<name>` and `dev:custom:<name>` cannot both exist: one name, one attribute.",
    "- A standard attribute named twice in one `Schema` is refused (`Duplicate attribute",
    "  name`), rather than one entry silently winning.",
    "- Constraint values past 2^1023 are refused (the model takes them as strings of any size).",
    "- Digits in phone numbers are ASCII only: other scripts' digits are not a phone number.",
    "",
)


TRIGGER_RUNTIME_NOTES = (
    "## Triggers: how they run",
    "",
    "How mamori calls a pool's functions (docs/triggers.md, How triggers run) compared with",
    "Cognito:",
    "",
    "- **Where**: an ARN runs on AWS Lambda (or any service with its Invoke API:",
    "  `lambda_endpoint`) unless `trigger_targets` maps it to an HTTP endpoint or a Python",
    "  callable (mamori's additions). Cognito invokes as its service principal; mamori as the",
    "  principal of its `lambda_*` keys (or botocore's chain), which needs",
    "  `lambda:InvokeFunction`.",
    "- **Time and retries**: 5 s per attempt and three attempts where the call can be retried",
    "  (timeouts, throttling, 5xx), as Cognito documents; `trigger_timeout_seconds` changes the",
    "  5 s (Cognito's is fixed). Attempts follow each other at once (Cognito documents no",
    "  pause).",
    "- **Errors**: `<Trigger> failed with error <message>.`, `<Trigger> invocation failed due",
    "  to error <reason>.` (timeouts: `Socket timeout while invoking Lambda function`) and",
    "  `Unrecognizable lambda output`, as Cognito words them in reported answers; the reason",
    '  after "due to error" is Lambda\'s error name, or for HTTP endpoints the one Lambda would',
    "  give (429 `TooManyRequestsException`, 5xx `ServiceException`, 404",
    "  `ResourceNotFoundException`, 401/403 `AccessDeniedException`).",
    "- **Redirects after a failed trigger** (federated and hosted sign-in): Cognito's observed",
    "  `error=invalid_request` with the message (and a trailing space) as `error_description`",
    "  (`domain/triggers.py` `redirect_error`) for every such redirect, OIDC, social and SAML",
    "  providers and the implicit grant alike; issue 15 asked for `access_denied`. The token",
    "  endpoint's JSON answer stays `access_denied`.",
    "",
)


TRIGGER_SIGN_UP_NOTES = (
    "## Triggers: sign-up and messages",
    "",
    "Where mamori's sign-up and message triggers (docs/triggers.md, Sign-up and Messages) follow",
    "reports rather than Cognito's documentation, or differ on purpose:",
    "",
    "- PreSignUp's `autoVerifyEmail` / `autoVerifyPhone` apply only with `autoConfirmUser` (as",
    "  users report of Cognito; the documentation does not say). An auto-verified attribute the",
    '  user lacks is `InvalidParameterException` (Cognito documents "an error").',
    "- PostConfirmation runs after the confirmation is saved; its failure is returned and the",
    "  confirmation stays (Cognito's order; its documentation is silent on the failure).",
    "- CustomMessage's refusal of a body without `{####}` is worded as Cognito's for email",
    "  (`at 'emailBody'`); the SMS member name (`smsMessage`) and the invitation's `{username}`",
    "  check are mamori's wording.",
    '- Custom senders\' codes carry the encryption context `{"userpool-id": ...}` (Cognito',
    "  documents none); self-hosted set-ups may use a local AES key (`custom_sender_key`) instead",
    "  of KMS.",
    "- `ClientMetadata` reaches the sign-up and message triggers from SignUp, ConfirmSignUp,",
    "  ResendConfirmationCode, ForgotPassword, ConfirmForgotPassword, AdminCreateUser,",
    "  AdminConfirmSignUp, UpdateUserAttributes, AdminUpdateUserAttributes,",
    "  GetUserAttributeVerificationCode and AdminResetUserPassword.",
    "- CustomEmailSender_AccountTakeOverNotification is not fired: the notification is sent as",
    "  before.",
    "",
)

WIRE_NOTES = (
    "## Signed requests, wire limits and HTTP statuses",
    "",
    "- **HTTP statuses** are Cognito's: 400 for every client error (the exception is in",
    "  `__type` and `x-amzn-ErrorType`: NotAuthorizedException, ResourceNotFoundException,",
    "  UserNotFoundException, TooManyRequestsException, LimitExceededException ...), 500 only",
    "  for InternalErrorException. AWS's front door keeps its own: 403 for",
    "  `MissingAuthenticationTokenException`, 413 for `RequestEntityTooLargeException`.",
    "- **SigV4** as AWS checks it: `host`, `x-amz-target` and `content-type` must be among the",
    "  SignedHeaders (`'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.`,",
    "  IncompleteSignatureException); the credential scope's service must be `cognito-idp` or",
    "  `cognito-identity` for the target (`Credential should be scoped to correct service:",
    "  '<service>'.`, InvalidSignatureException); a signature more than 5 minutes from the",
    "  server's clock is `Signature expired: ... (<now> - 5 min.)` or `Signature not yet",
    "  current: ...`.",
    "",
    "Stricter than AWS, on purpose:",
    "",
    "- A header sent more than once is refused (AWS joins the values with commas): a repeated",
    "  `X-Amz-Target` with UnknownOperationException, any other with",
    "  IncompleteSignatureException (SerializationException on an unsigned call).",
    "  `X-Forwarded-For`, `Forwarded` and `Via`, which proxies may repeat, are exempt.",
    "- Lists and maps the model leaves unbounded hold at most 100 entries (tags 50, the",
    "  documented limit; SupportedIdentityProviders 301), and a list or map over its bound is",
    "  refused before its entries are checked.",
    "",
)


# Issue 11 (A): domains, resource servers, branding, and where they differ from Cognito.
DOMAIN_NOTES = (
    "## Domains, resource servers and branding",
    "",
    "- **Custom domains**: the model's `DomainType` pattern allows one label (a prefix), yet AWS",
    "  takes a custom domain's full name in the same member, with `CustomDomainConfig`; so does",
    "  mamori (lower-case labels, up to 253 characters) for the four domain operations only. A",
    "  prefix stays one label without `aws`, `amazon` or `cognito`; a custom domain is two labels",
    "  or more, outside `auth_domain`. `CertificateArn` and `SecurityPolicy` are stored and",
    "  echoed: TLS is the deployment's (a proxy, or `--tls-cert`).",
    "- Domains are `ACTIVE` at once. A custom domain's `CloudFrontDomain`",
    "  (DescribeUserPoolDomain's `CloudFrontDistribution`) is the `auth_domain` host: point the",
    "  custom domain's DNS record at whatever serves mamori's auth domain. `Version` is the last",
    "  change's time (`YYYYMMDDHHMMSS`), `AWSAccountId` `000000000000`, no `S3Bucket`.",
    "- **Deleting a pool** deletes its domains, resource servers and branding. Cognito refuses",
    "  while a domain exists (`User pool cannot be deleted. It has a domain configured that",
    "  should be deleted first.`).",
    "- **Resource servers**: 25 per pool (LimitExceededException), 100 scopes each, scope names",
    "  unique within a server; UpdateResourceServer replaces Name and Scopes whole.",
    "  CreateUserPoolClient / UpdateUserPoolClient accept in AllowedOAuthScopes the standard",
    "  scopes and `<identifier>/<scope>` of the pool's servers only (`ScopeDoesNotExistException:",
    "  Invalid scope requested: <scope>`).",
    "- **SetUICustomization CSS** is held to Cognito's documented list: the `-customizable`",
    "  classes (`background`, `banner`, `errorMessage`, `idpButton` and `:hover`,",
    "  `idpDescription`, `inputField` and `:focus`, `label`, `legalText`, `logo`,",
    "  `passwordCheck-valid`, `passwordCheck-notValid`, `socialButton`, `submitButton` and",
    "  `:hover`, `textDescription`) and the properties documented for each. Stricter than",
    "  Cognito, on purpose: values are colours (hex, names, `rgb()`, `rgba()`, `hsl()`,",
    "  `hsla()`), sizes and keywords only, so that no stylesheet can load or run anything;",
    "  at-rules, `url()` and any other function, `expression()`, escapes, quotes, an unclosed",
    "  comment and other selectors are InvalidParameterException `Invalid CSS: <why>`.",
    "- `ImageFile` must be PNG or JPEG (by its bytes), up to the model's 131072 bytes (Cognito",
    "  documents 100 KB). `ImageUrl` is a `data:` URL of the logo (Cognito's is a CDN address);",
    "  `CSSVersion` the last change's time in milliseconds. SetUICustomization needs a domain on",
    "  the pool, as Cognito. GetUICustomization for a client without its own answers the pool",
    "  default's (`ClientId` `ALL`), and just `UserPoolId` and `ClientId` when nothing is set.",
    "- **Managed login** branding: one style per app client",
    "  (ManagedLoginBrandingExistsException); `Settings` and `Assets` stored and echoed as",
    "  given; `ReturnMergedResources` answers what was stored (Cognito's default style is not",
    "  merged in); `UseCognitoProvidedValues` true clears the stored settings and assets and may",
    "  not come with them. The hosted pages render, for the client: the colours at",
    "  `components.primaryButton.lightMode.defaults.backgroundColor`,",
    "  `components.pageBackground.lightMode.color` and `components.pageText.lightMode.bodyColor`",
    "  (`RRGGBB[AA]`), the `PAGE_BACKGROUND` asset as background and the `FORM_LOGO` (else",
    "  `PAGE_HEADER_LOGO`) asset as logo, LIGHT or DYNAMIC mode, PNG, JPEG or WebP (never SVG",
    "  or ICO), in place of the classic logo. The rest is stored and echoed only.",
    "- **Body size**: SetUICustomization, CreateManagedLoginBranding and",
    "  UpdateManagedLoginBranding take request bodies up to 2 MB (assets travel base64 in the",
    "  JSON); every other operation keeps `max_body_bytes` (1 MiB). Cognito documents 135 KB for",
    "  SetUICustomization.",
    "",
)


# Issue 13 (T1): threat protection's configuration, and where it differs from Cognito.
RISK_CONFIGURATION_NOTES = (
    "## Threat protection: risk configuration",
    "",
    "- SetRiskConfiguration / DescribeRiskConfiguration: docs/threat-protection.md",
    "  (Configuration). A client's configuration replaces the pool's whole; a request with no",
    "  configuration resets (the pool to defaults, a client to the pool's); `ClientId` `ALL` is",
    "  the pool's; a client without its own is described with the pool's under `ClientId` `ALL`.",
    "- Checked beyond the model: IPv4/IPv6 CIDR ranges, `From`/`ReplyTo` addresses, `Notify`",
    "  true needs a `NotifyConfiguration`. Templates are kept exactly as given; `SourceArn` is",
    "  kept but mamori sends through its own senders, not SES.",
    "- No feature plans: never `UserPoolAddOnNotEnabledException` here; a configuration may be",
    "  set while AdvancedSecurityMode is OFF and applies once it is AUDIT or ENFORCED.",
    "",
)


# Issue 13 (T2): the auth-event log, and where it differs from Cognito.
AUTH_EVENT_NOTES = (
    "## Threat protection: auth events",
    "",
    "- AdminListUserAuthEvents, AdminUpdateAuthEventFeedback, UpdateAuthEventFeedback:",
    "  docs/threat-protection.md (Auth events). Events are recorded only while the pool's",
    "  AdvancedSecurityMode is AUDIT or ENFORCED; with it OFF the three operations answer",
    "  `UserPoolAddOnNotEnabledException`.",
    "- `EventRisk` of a sign-in is mamori's explained risk engine's (docs/threat-protection.md,",
    "  At sign-in): `NoRisk`, `AccountTakeover` at Low / Medium / High, or `Block` when refused;",
    "  its weights are the deployment's settings (`risk_weights`, `risk_window_minutes`).",
    "  `City`, `Country` and `Timezone` come from the operator's GeoIP database",
    "  (`geoip_database`), empty without one.",
    "  `EventFeedback.Provider` is `Admin` or `User` (mamori's names).",
    "- Passwordless sign-ins (USER_AUTH's EMAIL_OTP / SMS_OTP) are recorded and assessed as",
    "  password ones, the code's step named `Password`; MFA_IF_CONFIGURED asks them for no MFA",
    "  and MFA_REQUIRED refuses them (docs/threat-protection.md, Passwordless and custom",
    "  authentication). Custom sign-ins (CUSTOM_AUTH) are covered only when `CustomAuthMode`",
    "  is set, in its mode (docs/threat-protection.md, Custom authentication).",
    "- UserContextData's `IpAddress` is taken only from an app client with a secret and",
    "  `EnablePropagateAdditionalUserContextData` (InitiateAuth, RespondToAuthChallenge: the",
    "  event's address, which threat protection scores; one that is not an address is ignored),",
    "  as Cognito documents; otherwise, and for the per-IP rate limit, the connection's address",
    "  is. The flag is accepted on a client without a secret, and has no effect there.",
    "  ContextData's `IpAddress` is always taken. `EncodedData` is kept, never decoded or shown.",
    '- A bad `FeedbackToken` is `NotAuthorizedException` ("Invalid feedback token."); events',
    "  are kept `auth_event_retention_days` (90).",
    "",
)


# Issue 12 (F1): user pools' identity providers, and where they differ from Cognito.
IDENTITY_PROVIDER_NOTES = (
    "## Identity providers",
    "",
    "- ProviderDetails per type, the read-only keys Describe adds and the endpoint overrides:",
    "  docs/federation.md. Describe echoes `client_secret` as AWS does, never Apple's",
    "  `private_key`; UpdateIdentityProvider merges ProviderDetails key by key.",
    "- An OIDC issuer's discovery document is read at the first sign-in, not at",
    "  CreateIdentityProvider (Cognito fetches it at once). ProviderDetails URLs may be `http://`",
    "  (Cognito requires HTTPS). Unknown ProviderDetails keys are InvalidParameterException.",
    "- Messages are Cognito's where known (`client_id, client_secret and authorize_scopes are all",
    "  required idp details`, `Provider X cannot be of type Google.`, `The provider X does not",
    "  exist for User Pool Y`); `IdpIdentifiers` come back sorted.",
    "- GetSigningCertificate answers the pool's SAML signing certificate (base64 DER), made at",
    "  the first call or SAML sign-in; it is not renewed yearly as Cognito's is (valid ten",
    "  years). The encryption certificate is one per pool, not one per provider.",
    "",
)


def _auth(op_model: object) -> str:
    return "public" if is_public(op_model) else "SigV4"


def render() -> str:
    session = botocore.session.get_session()
    lines = [
        "# Compatibility",
        "",
        "Generated by `scripts/compat_table.py` from the service models in botocore "
        f"{botocore.__version__}; do not edit by hand. Regenerate with "
        "`.venv/bin/python scripts/compat_table.py`.",
        "",
        "*Auth* is what the model says AWS requires: **SigV4** operations need the admin",
        "credentials (`mamori admin-credentials`); **public** ones (`smithy.api#noAuth`) are",
        "called without credentials and authorise by client id, access token or session instead.",
        "Requests to implemented operations are validated against the same models.",
        "",
    ]
    for prefix, service_name, title in SERVICES:
        model = session.get_service_model(service_name)
        names = sorted(model.operation_names)
        done = [n for n in names if (prefix, n) in REGISTRY]
        lines += [
            f"## {title} (`{service_name}`, `X-Amz-Target: {prefix}.<Operation>`)",
            "",
            f"{len(done)} of {len(names)} operations implemented.",
            "",
            "| Operation | Implemented | Auth |",
            "| --- | --- | --- |",
        ]
        for name in names:
            implemented = "yes" if (prefix, name) in REGISTRY else "no"
            lines.append(f"| {name} | {implemented} | {_auth(model.operation_model(name))} |")
        lines.append("")
    lines += [
        "## HTTP endpoints besides the AWS APIs",
        "",
        "| Method and path | What it serves | Auth |",
        "| --- | --- | --- |",
        *(f"| `{path}` | {what} | {auth} |" for path, what, auth in HTTP_ENDPOINTS),
        "",
        "Token issuers are `{public URL}/{UserPoolId}`, as Cognito's are",
        "`https://cognito-idp.{region}.amazonaws.com/{UserPoolId}`.",
        "",
        "`{domain}` is a pool's domain as the request reaches it: `https://<prefix>.<auth_domain>`,",
        "a custom domain, or `{public URL}/{UserPoolId}` (the path prefix, for set-ups without",
        "wildcard DNS); a pool without a domain has none of these endpoints, as in Cognito.",
        "",
        *VALIDATION_NOTES,
        *TRIGGER_RUNTIME_NOTES,
        *TRIGGER_SIGN_UP_NOTES,
        *WIRE_NOTES,
        *DOMAIN_NOTES,
        *IDENTITY_PROVIDER_NOTES,
        *RISK_CONFIGURATION_NOTES,
        *AUTH_EVENT_NOTES,
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is stale: run .venv/bin/python scripts/compat_table.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
