// Tests of the Lambda authorizer (node --test). Keys are made here; the
// JWKS is served by a stand-in fetch so key refresh can be counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, createHmac, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createAuthorizer, extractToken, globToRegExp, decideRequest, stageArn, COOKIE_NAME,
} from './authorizer.mjs';

const here = (p) => new URL(p, import.meta.url);
const policy = JSON.parse(readFileSync(here('./policy.json'), 'utf8'));
const iam = JSON.parse(readFileSync(here('./testdata/iam-resources.json'), 'utf8'));
const vectors = JSON.parse(readFileSync(here('./testdata/vectors.json'), 'utf8')).cases;

const POOL = 'us-east-1_TestPool1';
const CLIENT = 'client123';
const ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`;
const STAGE = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod';
const NOW = 1_800_000_000_000;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };

const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function jwt(claims = {}, { header = {}, key = privateKey } = {}) {
  const h = b64({ alg: 'RS256', kid: 'k1', typ: 'JWT', ...header });
  const p = b64({
    iss: ISSUER, token_use: 'access', client_id: CLIENT, username: 'alice',
    'cognito:groups': ['readers'], iat: NOW / 1000 - 10, exp: NOW / 1000 + 3600, ...claims,
  });
  return `${h}.${p}.${sign('RSA-SHA256', Buffer.from(`${h}.${p}`), key).toString('base64url')}`;
}

function setup(opts = {}) {
  const fetches = [];
  const logs = [];
  let keys = [jwk];
  const handler = createAuthorizer({
    userPoolId: POOL, appClientId: CLIENT, policy, now: () => opts.now ?? NOW,
    jwksUrl: 'http://jwks.test/keys',
    log: (e) => logs.push(JSON.stringify(e)),
    fetchImpl: async (url) => {
      fetches.push(url);
      return { ok: true, status: 200, json: async () => ({ keys }) };
    },
    ...opts,
  });
  return { handler, fetches, logs, setKeys: (k) => { keys = k; } };
}

const event = (headers, request = 'GET/ajax-api/2.0/mlflow/experiments/get') => ({
  type: 'REQUEST', methodArn: `${STAGE}/${request}`, headers,
});
const bearer = (t) => ({ Authorization: `Bearer ${t}` });

// allows evaluates an authorizer answer the way API Gateway does: an
// explicit Deny wins, else some Allow must match the method ARN.
function allows(answer, methodArn) {
  const hits = (s) => s.Resource.some((r) => globToRegExp(r).test(methodArn));
  const st = answer.policyDocument.Statement;
  if (st.some((s) => s.Effect === 'Deny' && hits(s))) return false;
  return st.some((s) => s.Effect === 'Allow' && hits(s));
}

async function rejects(handler, ev) {
  await assert.rejects(handler(ev), (err) => err.message === 'Unauthorized');
}

test('a valid access token gets its group statements, principal and context', async () => {
  const { handler, logs } = setup();
  const token = jwt();
  const ans = await handler(event(bearer(token)));
  assert.equal(ans.principalId, 'alice');
  assert.deepEqual(ans.context, { username: 'alice', groups: 'readers' });
  assert.equal(ans.policyDocument.Statement[0].Effect, 'Allow');
  assert.ok(ans.policyDocument.Statement[0].Resource.every((r) => r.startsWith(`${STAGE}/`)));
  assert.ok(allows(ans, `${STAGE}/GET/ajax-api/2.0/mlflow/experiments/get`));
  assert.ok(!allows(ans, `${STAGE}/POST/ajax-api/2.0/mlflow/runs/create`));
  assert.ok(logs.length > 0 && logs.every((l) => !l.includes(token) && !l.includes(token.split('.')[2])));
});

const badTokens = {
  expired: () => jwt({ exp: NOW / 1000 - 61 }),
  'not yet valid': () => jwt({ nbf: NOW / 1000 + 61 }),
  'wrong issuer': () => jwt({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' }),
  'wrong client': () => jwt({ client_id: 'someone-else' }),
  'wrong token_use': () => jwt({ token_use: 'id', aud: CLIENT }),
  'alg none': () => `${b64({ alg: 'none', kid: 'k1' })}.${b64({ iss: ISSUER, token_use: 'access', client_id: CLIENT, username: 'alice', exp: NOW / 1000 + 60 })}.`,
  'HS256 signed with the public key': () => {
    const h = b64({ alg: 'HS256', kid: 'k1' });
    const p = b64({ iss: ISSUER, token_use: 'access', client_id: CLIENT, username: 'alice', exp: NOW / 1000 + 60 });
    const secret = publicKey.export({ type: 'spki', format: 'pem' });
    return `${h}.${p}.${createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url')}`;
  },
  'bad signature': () => jwt({}, { key: other.privateKey }),
  'tampered payload': () => {
    const [h, , s] = jwt().split('.');
    return `${h}.${b64({ iss: ISSUER, token_use: 'access', client_id: CLIENT, username: 'mallory', 'cognito:groups': ['admins'], exp: NOW / 1000 + 60 })}.${s}`;
  },
  'unknown kid': () => jwt({}, { header: { kid: 'nope' } }),
  'no kid': () => jwt({}, { header: { kid: undefined } }),
  'malformed segments (two parts)': () => jwt().split('.').slice(0, 2).join('.'),
  'malformed segments (four parts)': () => `${jwt()}.x`,
  'malformed segments (not base64url)': () => `a+b.${jwt().split('.')[1]}.c`,
  'malformed segments (header not JSON)': () => `${b64('not json')}.${jwt().split('.')[1]}.${jwt().split('.')[2]}`,
  'no username': () => jwt({ username: undefined }),
  'groups claim not a list': () => jwt({ 'cognito:groups': 'admins' }),
};

// The reason each is refused for, as logged (never the token itself).
const reasons = {
  expired: 'expired', 'not yet valid': 'not yet valid', 'wrong issuer': 'wrong issuer',
  'wrong client': 'wrong client', 'wrong token_use': 'token_use id not accepted', 'alg none': 'alg none not allowed',
  'HS256 signed with the public key': 'alg HS256 not allowed', 'bad signature': 'bad signature',
  'tampered payload': 'bad signature', 'unknown kid': 'unknown kid', 'no kid': 'no kid',
  'malformed segments (two parts)': 'malformed token', 'malformed segments (four parts)': 'malformed token',
  'malformed segments (not base64url)': 'malformed token', 'malformed segments (header not JSON)': 'malformed header',
  'no username': 'no username', 'groups claim not a list': 'malformed cognito:groups',
};

for (const [name, make] of Object.entries(badTokens)) {
  test(`rejects a token: ${name}`, async () => {
    const { handler, logs } = setup();
    const token = make();
    await rejects(handler, event(bearer(token)));
    assert.ok(logs.every((l) => !l.includes(token)), 'token logged');
    assert.ok(logs.some((l) => JSON.parse(l).reason === reasons[name]), `reason ${reasons[name]} not in ${logs}`);
  });
}

test('no token at all, or an empty or non-Bearer header, is Unauthorized', async () => {
  const { handler } = setup();
  await rejects(handler, event({}));
  await rejects(handler, event({ Authorization: 'Bearer ' }));
  await rejects(handler, event({ Authorization: `Basic ${jwt()}` }));
  await rejects(handler, { methodArn: `${STAGE}/GET/` });
});

test('clock skew up to 60 s is accepted', async () => {
  const { handler } = setup();
  await handler(event(bearer(jwt({ exp: NOW / 1000 - 59 }))));
  await handler(event(bearer(jwt({ nbf: NOW / 1000 + 59 }))));
});

test('id tokens are accepted only when configured, checked against aud', async () => {
  const { handler } = setup({ tokenUse: 'id' });
  const id = jwt({ token_use: 'id', aud: CLIENT, client_id: undefined, username: undefined, 'cognito:username': 'bob' });
  const ans = await handler(event(bearer(id)));
  assert.equal(ans.principalId, 'bob');
  await rejects(handler, event(bearer(jwt())));
  await rejects(handler, event(bearer(jwt({ token_use: 'id', aud: 'other', 'cognito:username': 'bob' }))));
});

test('missing groups claim: explicit deny for everything (403), not an error', async () => {
  const { handler } = setup();
  const ans = await handler(event(bearer(jwt({ 'cognito:groups': undefined }))));
  assert.equal(ans.principalId, 'alice');
  assert.deepEqual(ans.policyDocument.Statement, [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${STAGE}/*`] }]);
  assert.ok(!allows(ans, `${STAGE}/GET/`));
});

test('unknown group only: explicit deny; unknown next to a known one: ignored', async () => {
  const { handler } = setup();
  const denied = await handler(event(bearer(jwt({ 'cognito:groups': ['data-scientists'] }))));
  assert.equal(denied.policyDocument.Statement[0].Effect, 'Deny');
  const mixed = await handler(event(bearer(jwt({ 'cognito:groups': ['data-scientists', 'readers'] }))));
  assert.equal(mixed.context.groups, 'readers');
  assert.ok(allows(mixed, `${STAGE}/GET/get-artifact`));
});

test('several groups: the union of their statements', async () => {
  const { handler } = setup();
  const ans = await handler(event(bearer(jwt({ 'cognito:groups': ['readers', 'model-approvers'] }))));
  assert.equal(ans.context.groups, 'readers,model-approvers');
  assert.ok(allows(ans, `${STAGE}/PATCH/ajax-api/2.0/mlflow/model-versions/update`));
  assert.ok(allows(ans, `${STAGE}/GET/model-versions/get-artifact`));
  assert.ok(!allows(ans, `${STAGE}/POST/ajax-api/2.0/mlflow/runs/create`));
  const resources = ans.policyDocument.Statement[0].Resource;
  assert.equal(new Set(resources).size, resources.length, 'duplicates in the union');
});

test('token only in the cookie (URL-encoded "Bearer <jwt>")', async () => {
  const { handler } = setup();
  const cookie = `${COOKIE_NAME}=${encodeURIComponent(`Bearer ${jwt()}`)}`;
  const ans = await handler(event({ Cookie: cookie }));
  assert.equal(ans.principalId, 'alice');
  const lower = await handler(event({ cookie }));
  assert.equal(lower.principalId, 'alice');
  const formEncoded = await handler(event({ Cookie: `${COOKIE_NAME}=Bearer+${jwt()}` }));
  assert.equal(formEncoded.principalId, 'alice');
});

test('token in header and cookie: the header wins', async () => {
  const { handler } = setup();
  const cookie = `${COOKIE_NAME}=${encodeURIComponent(`Bearer ${jwt({ username: 'from-cookie' })}`)}`;
  const ans = await handler(event({ authorization: `Bearer ${jwt({ username: 'from-header' })}`, Cookie: cookie }));
  assert.equal(ans.principalId, 'from-header');
  // A bad header token is not rescued by a good cookie.
  const badHeader = { Authorization: `Bearer ${jwt({}, { key: other.privateKey })}`, Cookie: cookie };
  await rejects(handler, event(badHeader));
});

test('a cookie jar with other cookies around it', async () => {
  const { handler } = setup();
  const value = encodeURIComponent(`Bearer ${jwt({ username: 'jar' })}`);
  const jar = `_ga=GA1.2.3; theme=dark; ${COOKIE_NAME}=${value}; mlflow-request-header-X-Other=abc; session=a=b=c`;
  assert.equal((await handler(event({ Cookie: jar }))).principalId, 'jar');
  assert.equal((await handler({ ...event({}), multiValueHeaders: { Cookie: ['a=1', `${COOKIE_NAME}=${value}`] } })).principalId, 'jar');
  // A look-alike name is not the cookie.
  await rejects(handler, event({ Cookie: `x${COOKIE_NAME}=${value}; ${COOKIE_NAME}-old=${value}` }));
});

test('extractToken handles bad encodings without throwing', () => {
  assert.equal(extractToken({ headers: { Cookie: `${COOKIE_NAME}=%E0%A4%A` } }), '');
  assert.equal(extractToken({ headers: { Cookie: `${COOKIE_NAME}="${encodeURIComponent('Bearer a.b.c')}"` } }), 'a.b.c');
  assert.equal(extractToken({}), '');
});

test('JWKS: fetched once, refreshed on an unknown kid at most once a minute', async () => {
  let now = NOW;
  const { handler, fetches, setKeys } = setup({ now: () => now });
  await handler(event(bearer(jwt())));
  await handler(event(bearer(jwt())));
  assert.equal(fetches.length, 1);
  await rejects(handler, event(bearer(jwt({}, { header: { kid: 'k2' } }))));
  assert.equal(fetches.length, 1, 'refetched within a minute of the first load');
  now += 61_000;
  const rotated = { ...other.publicKey.export({ format: 'jwk' }), kid: 'k2', alg: 'RS256' };
  setKeys([jwk, rotated]);
  const t2 = jwt({ exp: now / 1000 + 60 }, { header: { kid: 'k2' }, key: other.privateKey });
  assert.equal((await handler(event(bearer(t2)))).principalId, 'alice');
  assert.equal(fetches.length, 2);
  await rejects(handler, event(bearer(jwt({ exp: now / 1000 + 60 }, { header: { kid: 'k3' } }))));
  assert.equal(fetches.length, 2);
});

test('JWKS failure is Unauthorized and logged as an error', async () => {
  const { handler, logs } = setup({ fetchImpl: async () => ({ ok: false, status: 503 }) });
  await rejects(handler, event(bearer(jwt())));
  assert.ok(logs.some((l) => l.includes('"level":"error"') && l.includes('JWKS 503')));
});

test('bad configuration fails at start', () => {
  assert.throws(() => createAuthorizer({ userPoolId: 'nope', appClientId: CLIENT, policy }), /USER_POOL_ID/);
  assert.throws(() => createAuthorizer({ userPoolId: POOL, policy }), /APP_CLIENT_ID/);
  assert.throws(() => createAuthorizer({ userPoolId: POOL, appClientId: CLIENT, tokenUse: 'refresh', policy }), /TOKEN_USE/);
});

test('stageArn and globToRegExp follow execute-api semantics', () => {
  assert.deepEqual(stageArn(`${STAGE}/GET/`), { stage: STAGE, request: 'GET/' });
  assert.throws(() => stageArn('arn:aws:lambda:us-east-1:1:function:x'));
  assert.ok(globToRegExp('GET/a/*/info').test('GET/a/b/c/info'));
  assert.ok(!globToRegExp('GET/a/?').test('GET/a/bc'));
  assert.ok(!globToRegExp('GET/a.b').test('GET/aXb'));
  assert.ok(globToRegExp('*/*').test('DELETE/x/y'));
});

test(`shared vectors (${vectors.length}) against the generated policies`, () => {
  assert.ok(vectors.length >= 150);
  for (const v of vectors) {
    const doc = v.path.startsWith('/api/') ? iam : policy;
    const known = v.groups.filter((g) => g in doc.groups);
    const hit = known.length ? decideRequest(doc, known, `${v.method}/${v.path.slice(1)}`) : null;
    assert.equal(hit ? 'allow' : 'deny', v.expect, `${v.groups} ${v.method} ${v.path}`);
  }
});

test('shared vectors on browser paths through the handler', async () => {
  const { handler } = setup();
  let n = 0;
  for (const v of vectors.filter((x) => !x.path.startsWith('/api/'))) {
    const request = `${v.method}/${v.path.slice(1)}`;
    const ans = await handler(event(bearer(jwt({ 'cognito:groups': v.groups })), request));
    assert.equal(allows(ans, `${STAGE}/${request}`) ? 'allow' : 'deny', v.expect, `${v.groups} ${request}`);
    n++;
  }
  assert.ok(n >= 100);
});

test('index.mjs reads its settings from the environment and ignores any JWKS override', async () => {
  const urls = [];
  const saved = globalThis.fetch;
  Object.assign(process.env, { USER_POOL_ID: POOL, APP_CLIENT_ID: CLIENT, JWKS_URL: 'http://127.0.0.1:9/evil', COGNITO_KEYS_URL: 'http://127.0.0.1:9/evil' });
  globalThis.fetch = async (url) => { urls.push(String(url)); return { ok: true, json: async () => ({ keys: [jwk] }) }; };
  try {
    const { handler } = await import('./index.mjs');
    const live = jwt({ iat: Date.now() / 1000 - 5, exp: Date.now() / 1000 + 600 });
    const ans = await handler(event(bearer(live)));
    assert.equal(ans.principalId, 'alice');
    assert.deepEqual(urls, [`${ISSUER}/.well-known/jwks.json`]);
  } finally {
    globalThis.fetch = saved;
  }
});
