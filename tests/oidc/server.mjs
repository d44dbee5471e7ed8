// A real OpenID Connect provider for the tests, configured from the environment:
//   OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS (comma separated),
//   OIDC_ACCOUNTS (JSON: {"<sub>": {"email": "...", "name": "...", "staff_code": "..."}}),
//   optional OIDC_RESOURCE (the default resource indicator: access tokens become JWTs with that audience,
//   carrying the account's email and staff_code), OIDC_ACCESS_TOKEN_TTL (seconds, default 600),
//   OIDC_JWKS (JSON JWKS with private keys; the signing keys, so a test can sign tokens or rotate keys).
// It prints "ready <issuer>" once it listens.
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || "{}");
const resource = process.env.OIDC_RESOURCE || undefined;
const accessTokenTTL = Number(process.env.OIDC_ACCESS_TOKEN_TTL || 600);
const jwks = process.env.OIDC_JWKS ? JSON.parse(process.env.OIDC_JWKS) : undefined;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.OIDC_CLIENT_ID,
      client_secret: process.env.OIDC_CLIENT_SECRET,
      redirect_uris: (process.env.OIDC_REDIRECT_URIS || "").split(",").filter(Boolean),
      post_logout_redirect_uris: (process.env.OIDC_REDIRECT_URIS || "").split(",").filter(Boolean),
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    },
  ],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "staff_code"] },
  async findAccount(ctx, sub) {
    const account = accounts[sub];
    if (!account) return undefined;
    return { accountId: sub, async claims() { return { sub, email_verified: true, ...account }; } };
  },
  // Claims go into the ID token too (as most providers do), not only to the userinfo endpoint.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    // Any requested resource indicator (RFC 8707) is a resource server that takes JWT access tokens
    // with itself as the audience; OIDC_RESOURCE is the one used when the client names none.
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx, client, oneOf) => oneOf || resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resourceIndicator) => ({
        audience: resourceIndicator,
        accessTokenFormat: "jwt",
        scope: "openid email profile",
        accessTokenTTL,
      }),
    },
  },
  // JWT access tokens name the person the way the tenant's identity claim may need.
  async extraTokenClaims(ctx, token) {
    const account = accounts[token.accountId];
    if (!account) return undefined;
    return { email: account.email, staff_code: account.staff_code };
  },
  ...(jwks ? { jwks } : {}),
  cookies: { keys: ["test-only-cookie-key"] },
});
provider.proxy = false;

provider.listen(port, "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
