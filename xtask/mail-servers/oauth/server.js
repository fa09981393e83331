// The OAuth 2.0 authorization server of courriel's tests: oidc-provider
// (a certified OpenID Connect / OAuth 2.0 server) over HTTPS on 127.0.0.1,
// with the test certificate. Started by `cargo xtask mail-servers start`
// with one argument, the JSON file xtask writes (issuer, port, TLS files,
// the test accounts, the clients' secrets); logs to stdout.
//
// Dovecot checks its access tokens (passdb oauth2: introspection for the
// opaque ones, the signing key for the JWT ones), so a token from here logs
// in to Dovecot's IMAP and, through Dovecot's SASL, to Postfix.
//
// What tests can do with it (the clients are below):
// - the authorization code flow with PKCE (S256) for a public client whose
//   redirect URI is the loopback `http://127.0.0.1/` on any port (RFC 8252),
//   driven without a browser: a plain HTML login form (fields `login` and
//   `password`, the test accounts' own), consent granted at once for the
//   scopes asked, and the code read from the redirect's Location header;
// - refresh tokens for `offline_access`, rotated at every use: an old one
//   is then `invalid_grant`, and using it revokes the whole grant (every
//   token of that sign-in), as the OAuth security BCP asks;
// - the device authorization flow (RFC 8628), token introspection
//   (RFC 7662), revocation (RFC 7009);
// - 5-second access tokens (`courriel-test-short`), JWT access tokens of
//   2,600+ characters (`courriel-test-jwt`), a client refused for want of
//   an administrator's consent (`courriel-test-admin-consent`).
//
// Node.js 18 (Debian bookworm's) or newer; nothing here needs more.

import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';

import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

const log = (...what) => console.log(new Date().toISOString(), ...what);

/** The test accounts (the mail logins Dovecot knows): login -> password. */
const accounts = new Map(config.accounts.map(({ login, password }) => [login, password]));

/** Scopes besides `openid`, `email` and `offline_access`: Dovecot wants `imap`
 * for IMAP, `smtp` for SMTP (Postfix). */
const MAIL_SCOPES = ['imap', 'smtp'];

/** The resource the JWT access tokens are for (RFC 8707), and their audience. */
const MAIL_RESOURCE = `${config.issuer}/mail`;

// Public clients: no secret, PKCE required, any loopback port (RFC 8252:
// oidc-provider ignores the port of a loopback http redirect URI for
// `application_type: native`), the code, refresh and device grants.
const LOOPBACK = ['http://127.0.0.1/', 'http://localhost/', 'http://[::1]/'];
const GRANTS = ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'];
const publicClient = (clientId) => ({
  client_id: clientId,
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  redirect_uris: LOOPBACK,
  grant_types: GRANTS,
  response_types: ['code'],
});

const clients = [
  // The everyday client: opaque access tokens of `access_token_ttl` seconds.
  publicClient('courriel-test'),
  // The same with 5-second access tokens, to see them expire and refresh.
  publicClient('courriel-test-short'),
  // The same with JWT access tokens of 2,600+ characters (RFC 9068, for
  // the resource MAIL_RESOURCE), as Microsoft's are: Dovecot checks their
  // signature itself. Padded with `groups`, as a member of many groups gets.
  publicClient('courriel-test-jwt'),
  // Refused at consent: `consent_required`, the administrator must approve it.
  publicClient('courriel-test-admin-consent'),
  // A confidential client: client_secret_basic or client_secret_post.
  {
    ...publicClient('courriel-test-secret'),
    client_secret: config.confidential_client_secret,
    token_endpoint_auth_method: 'client_secret_basic',
  },
  // The resource server: Dovecot, which only introspects tokens.
  {
    client_id: 'dovecot',
    client_secret: config.dovecot_client_secret,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [],
    response_types: [],
    redirect_uris: [],
  },
];

/** The signing key (RS256) of ID tokens and JWT access tokens; xtask made it. */
const signingKey = {
  ...crypto.createPrivateKey(fs.readFileSync(config.signing_key)).export({ format: 'jwk' }),
  kid: config.signing_key_id,
  alg: 'RS256',
  use: 'sig',
};

const provider = new Provider(config.issuer, {
  clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  scopes: ['openid', 'offline_access', 'email', ...MAIL_SCOPES],
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  async findAccount(ctx, id) {
    if (!accounts.has(id)) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: true };
      },
    };
  },
  pkce: { methods: ['S256'], required: () => true },
  rotateRefreshToken: true,
  issueRefreshToken: async (ctx, client, code) => (
    client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access')
  ),
  features: {
    devInteractions: { enabled: false },
    deviceFlow: { enabled: true },
    // Dovecot introspects any token; a client only its own.
    introspection: {
      enabled: true,
      allowedPolicy: (ctx, client, token) => client.clientId === 'dovecot' || client.clientId === token.clientId,
    },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // The JWT client's tokens are for the mail resource without asking.
      defaultResource: (ctx, client) => (client.clientId === 'courriel-test-jwt' ? MAIL_RESOURCE : undefined),
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, resource, client) {
        if (resource !== MAIL_RESOURCE || client.clientId !== 'courriel-test-jwt') {
          throw new Provider.errors.InvalidTarget();
        }
        return {
          scope: MAIL_SCOPES.join(' '),
          audience: MAIL_RESOURCE,
          accessTokenTTL: config.access_token_ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  formats: {
    customizers: {
      // Dovecot 2.3 takes a JWT only with `typ: JWT` (RFC 9068 says at+jwt).
      async jwt(ctx, token, jwt) {
        jwt.header = { typ: 'JWT' };
        jwt.payload.email = jwt.payload.sub;
        // 38 groups: about 2,700 characters (24 made 2,000), over 2,600
        // whatever the account's address.
        jwt.payload.groups = Array.from({ length: 38 }, (_, i) => (
          crypto.createHash('sha256').update(`group ${i}`).digest('hex').slice(0, 32)
            .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-')
        ));
      },
    },
  },
  ttl: {
    AccessToken: (ctx, token, client) => (client.clientId === 'courriel-test-short'
      ? config.short_access_token_ttl
      : token.resourceServer?.accessTokenTTL || config.access_token_ttl),
    AuthorizationCode: 60,
    DeviceCode: 600,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 3600,
    Interaction: 3600,
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', `<p id="error">${escape(out.error)}: ${escape(out.error_description || '')}</p>`);
  },
});

// OIDC asks for prompt=consent beside offline_access, or drops
// offline_access; OAuth 2.0 servers (Microsoft's) give a refresh token for
// offline_access alone, as clients expect: add the prompt when none is given.
provider.use(async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === '/auth' && ctx.query.prompt === undefined
    && String(ctx.query.scope || '').split(' ').includes('offline_access')) {
    ctx.query = { ...ctx.query, prompt: 'consent' };
  }
  await next();
});

for (const event of ['grant.error', 'server_error', 'authorization.error', 'introspection.error',
  'revocation.error', 'end_session.error', 'userinfo.error', 'backchannel.error']) {
  provider.on(event, (ctx, error) => {
    log(event, error.name, error.message, error.error_detail || '');
  });
}
provider.on('grant.success', (ctx) => log('grant.success', ctx.oidc.client?.clientId));

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escape(title)}</title></head>\n<body>\n<h1>${escape(title)}</h1>\n${body}\n</body></html>\n`;
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

function loginForm(uid, details, error) {
  return page('Sign in', `<p>Client: <code>${escape(details.params.client_id)}</code>; scope: <code>${escape(details.params.scope || '')}</code></p>
${error ? `<p id="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
<label>Login <input type="text" name="login" value="${escape(details.params.login_hint || '')}"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Sign in</button>
</form>
<p><a href="/interaction/${escape(uid)}/abort">Cancel</a></p>`);
}

async function body(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Consent is granted at once for what was asked (scopes, claims, resource
// scopes), except to the client that needs an administrator's approval.
async function consent(req, res, details) {
  const { prompt: { details: missing }, params, session } = details;
  if (params.client_id === 'courriel-test-admin-consent') {
    return provider.interactionFinished(req, res, {
      error: 'consent_required',
      error_description: `admin_consent_required: an administrator of this organization must approve the application ${params.client_id} before its users can sign in with it`,
    }, { mergeWithLastSubmission: false });
  }
  let grant;
  if (details.grantId) {
    grant = await provider.Grant.find(details.grantId);
  } else {
    grant = new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  }
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  const result = details.grantId ? { consent: {} } : { consent: { grantId } };
  return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

async function interaction(req, res, url) {
  const [, , uid, action] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    return send(res, 400, page('Error', '<p id="error">this sign-in is not the one in progress</p>'));
  }
  if (action === 'abort') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'the user cancelled the sign-in',
    }, { mergeWithLastSubmission: false });
  }
  if (action === 'login' && req.method === 'POST') {
    const form = await body(req);
    const login = form.get('login') || '';
    const password = form.get('password') || '';
    const known = accounts.get(login);
    const matches = known !== undefined && known.length === password.length
      && crypto.timingSafeEqual(Buffer.from(known), Buffer.from(password));
    if (!matches) {
      log('login refused', JSON.stringify(login));
      return send(res, 200, loginForm(uid, details, 'Invalid login or password.'));
    }
    log('login', login, 'for', details.params.client_id);
    return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }
  if (action === undefined && req.method === 'GET') {
    if (details.prompt.name === 'login') return send(res, 200, loginForm(uid, details));
    if (details.prompt.name === 'consent') return consent(req, res, details);
  }
  return send(res, 404, page('Not found', '<p id="error">no such page</p>'));
}

const callback = provider.callback();

const server = https.createServer({
  cert: fs.readFileSync(config.cert),
  key: fs.readFileSync(config.key),
  minVersion: 'TLSv1.2',
}, async (req, res) => {
  const url = new URL(req.url, config.issuer);
  res.on('finish', () => log(req.method, url.pathname, res.statusCode));
  if (url.pathname.startsWith('/interaction/')) {
    try {
      await interaction(req, res, url);
    } catch (error) {
      log('interaction error', error.name, error.message);
      if (!res.headersSent) send(res, 400, page('Error', `<p id="error">${escape(error.message)}</p>`));
    }
    return;
  }
  callback(req, res);
});

server.listen(config.port, config.host, () => {
  log(`oidc-provider listening on ${config.issuer} (node ${process.version})`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    server.close();
    process.exit(0);
  });
}
