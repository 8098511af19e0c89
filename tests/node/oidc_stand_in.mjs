// An OpenID Connect provider standing in for Google or any OIDC provider in the federation
// tests (issue 12): panva's oidc-provider (OpenID Certified), unmodified, with an account
// store and an interaction that signs in at once, so a test drives the whole dance over HTTP.
//
// node oidc_stand_in.mjs '{"port": 4100, "clients": [...], "accountFile": "/tmp/account.json"}'
//   clients: oidc-provider client metadata (client_id, client_secret, redirect_uris,
//            token_endpoint_auth_method, ...)
//   accountFile: JSON {"accountId": "...", "claims": {...}} read at every sign-in, so a test
//            changes who signs in, or their claims, between two sign-ins; {"deny": true}
//            answers the authorization with error=access_denied instead.
// Prints {"ready": true, "issuer": "..."} once listening.
import { readFileSync } from "node:fs";
import Provider, { errors } from "oidc-provider";

const config = JSON.parse(process.argv[2] === "-" ? readFileSync(0, "utf8") : process.argv[2]);
const issuer = `http://127.0.0.1:${config.port}`;

function current() {
  return JSON.parse(readFileSync(config.accountFile, "utf8"));
}

const provider = new Provider(issuer, {
  clients: config.clients,
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "given_name", "family_name", "picture", "locale", "team"],
    phone: ["phone_number", "phone_number_verified"],
  },
  scopes: ["openid", "email", "profile", "phone", "offline_access"],
  pkce: { required: () => true },
  // The ID token carries the scopes' claims too, as Google's does (userinfo has them as well).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        const account = current();
        return { ...account.claims, sub: id };
      },
    };
  },
  // Consent is implied: a test's client is trusted (no consent interaction).
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope("openid email profile phone");
    grant.addOIDCClaims(["email", "email_verified", "name", "given_name", "family_name"]);
    await grant.save();
    return grant;
  },
  ttl: { Session: 60, Interaction: 60, Grant: 60, AccessToken: 60, AuthorizationCode: 60, IdToken: 60 },
});
provider.proxy = false;

// The interaction signs in the account of accountFile at once.
provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([^/]+)$/.exec(ctx.path);
  if (!match) {
    await next();
    return;
  }
  const account = current();
  const result = account.deny
    ? { error: "access_denied", error_description: "The user said no." }
    : { login: { accountId: account.accountId } };
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
});

provider.on("server_error", (ctx, err) => console.error("server_error", err));
void errors;

provider.listen(config.port, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ ready: true, issuer }) + "\n");
});
