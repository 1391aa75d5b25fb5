// A real OpenID Connect provider (panva/oidc-provider, OpenID Certified) for the
// SSO tests. It stands in for the corporate portal where "the user is already
// signed in": there is no login page. Every interaction is finished at once for
// the account named by `login_hint` (or the config's `default_account`), and
// consent is granted automatically. An unknown login_hint ends in access_denied.
//
// Usage: node server.mjs --config CONFIG.json [--port N] [--exit-on-stdin-close]
//   (or env OIDC_PROVIDER_CONFIG / OIDC_PROVIDER_PORT). Port 0 (the default)
//   binds a free port. Prints `READY <issuer>` on stdout once listening on
//   127.0.0.1; the issuer is `http://127.0.0.1:<port>`.
//
// CONFIG.json: {
//   "clients": [{"client_id", "client_secret", "redirect_uris": [...], ...more client metadata}],
//   "accounts": {"alice": {"sub", "name", "email", "preferred_username", "org_unit_code", "roles": [...]}},
//   "default_account": "alice"            // optional
// }
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { interactionPolicy } from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    config: { type: 'string', default: process.env.OIDC_PROVIDER_CONFIG },
    port: { type: 'string', default: process.env.OIDC_PROVIDER_PORT ?? '0' },
    'exit-on-stdin-close': { type: 'boolean', default: false },
  },
});
if (!args.config) {
  console.error('usage: node server.mjs --config CONFIG.json [--port N]');
  process.exit(2);
}
const config = JSON.parse(readFileSync(args.config, 'utf8'));
const accounts = config.accounts ?? {};

// Standard claims per scope (OpenID Connect Core 5.4); every other claim found
// in the accounts (org_unit_code, roles, ...) goes under `openid`, so it is
// always released, in the ID token and at userinfo.
const PROFILE = ['name', 'family_name', 'given_name', 'middle_name', 'nickname',
  'preferred_username', 'profile', 'picture', 'website', 'gender', 'birthdate',
  'zoneinfo', 'locale', 'updated_at'];
const EMAIL = ['email', 'email_verified'];
const standard = new Set(['sub', ...PROFILE, ...EMAIL]);
const custom = [...new Set(Object.values(accounts).flatMap(Object.keys))]
  .filter((claim) => !standard.has(claim));

// The provider's accountId is the ID token's `sub`: the account's `sub` claim
// if it has one, else its key in `accounts`.
const subOf = (key) => String(accounts[key].sub ?? key);
const byKey = (key) => (key !== undefined && Object.hasOwn(accounts, key) ? key : undefined);
const bySub = new Map(Object.keys(accounts).map((key) => [subOf(key), key]));
// The account an authorization request asks for (undefined = unknown).
const wantedAccount = (params) => byKey(params.login_hint ?? config.default_account);

// Ask for a new login when the login_hint names someone other than the user of
// the current provider session (a test switching users in one cookie jar).
const policy = interactionPolicy.base();
policy.get('login').checks.add(new interactionPolicy.Check(
  'login_hint_mismatch',
  'login_hint does not match the signed-in account',
  (ctx) => {
    const { params, session } = ctx.oidc;
    if (params.login_hint === undefined || !session.accountId) return false;
    const key = wantedAccount(params);
    return key === undefined || subOf(key) !== session.accountId;
  },
));

const clients = (config.clients ?? []).map((client) => ({
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  // Either method is accepted by oidc-provider for a client_secret_* client.
  token_endpoint_auth_method: 'client_secret_basic',
  ...client,
}));

const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const server = createServer();
server.listen(Number(args.port), '127.0.0.1', async () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [{ ...jwk, kid: randomUUID(), use: 'sig', alg: 'RS256' }] },
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      // Plain http on loopback: the cookies must not be `secure`.
      long: { httpOnly: true, sameSite: 'lax', secure: false },
      short: { httpOnly: true, sameSite: 'lax', secure: false },
    },
    claims: {
      acr: null, auth_time: null, iss: null, sid: null,
      openid: ['sub', ...custom],
      profile: PROFILE,
      email: EMAIL,
    },
    // Put the scope's claims into the ID token even when an access token is issued.
    conformIdTokenClaims: false,
    pkce: { required: () => false },
    features: { devInteractions: { enabled: false } },
    interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const key = bySub.get(sub);
      if (key === undefined) return undefined;
      return { accountId: sub, claims: async () => ({ ...accounts[key], sub }) };
    },
  });

  // The "portal": finish each interaction at once, with no page shown.
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'GET' || !ctx.path.startsWith('/interaction/')) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const signOut = details.prompt.name === 'login' ? previousUser(details) : undefined;
    const result = details.prompt.name === 'login' ? login(details) : await consent(details);
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result);
    // Switching user: sign the old one out here (after storing the result, which
    // checks the session's principal), else the provider would answer with a
    // self-submitting logout form that only a browser follows.
    if (signOut) {
      const session = await provider.Session.findByUid(signOut);
      Object.assign(session, { accountId: undefined, loginTs: undefined, authorizations: {} });
      await session.persist();
    }
    ctx.redirect(returnTo);
    ctx.status = 303;
  });

  function login({ params }) {
    const key = wantedAccount(params);
    if (key !== undefined) return { login: { accountId: subOf(key) } };
    const who = params.login_hint ?? config.default_account ?? '(no login_hint, no default_account)';
    return { error: 'access_denied', error_description: `unknown account: ${who}` };
  }

  // The session uid to sign out when another account is about to log in.
  function previousUser({ params, session }) {
    const key = wantedAccount(params);
    const switching = key !== undefined && session?.accountId && session.accountId !== subOf(key);
    return switching ? session.uid : undefined;
  }

  // Grant whatever the request still misses.
  async function consent({ prompt, params, session, grantId }) {
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    return { consent: { grantId: await grant.save() } };
  }

  server.on('request', provider.callback());
  // Static clients are only checked when first used: check them now, so a bad
  // config fails the start (with its reason on stderr) instead of a request.
  try {
    await Promise.all(clients.map(({ client_id: id }) => provider.Client.find(id)));
  } catch (err) {
    console.error(`invalid client in ${args.config}:`, err.message, err.error_description ?? '');
    process.exit(1);
  }
  console.log(`READY ${issuer}`);
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Do not outlive a parent that died without stopping us (it holds our stdin).
if (args['exit-on-stdin-close']) process.stdin.on('end', stop).resume();
