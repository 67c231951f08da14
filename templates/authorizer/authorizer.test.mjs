// Tests of the Lambda authorizer (node --test). Keys are made here; the
// JWKS is served by a stand-in fetch so key refresh can be counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, createHmac, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createAuthorizer, extractToken, globToRegExp, decideRequest, stageArn, COOKIE_NAME,
} from './authorizer.mjs';

// What api.yaml sets (the UI's cookie) plus the SDK token path's header
// authorizer of the client-access issue.
const AUTH_SOURCES = JSON.stringify([
  { prefix: '/t/', source: 'header:Authorization' },
  { prefix: '/', source: `cookie:${COOKIE_NAME}` },
]);

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
    authSources: AUTH_SOURCES,
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

// event is a REQUEST authorizer event for a method of the UI's resource
// "/{proxy+}" (or another resource).
const event = (headers, request = 'GET/ajax-api/2.0/mlflow/experiments/get', resource = '/{proxy+}') => ({
  type: 'REQUEST', methodArn: `${STAGE}/${request}`, resource, headers,
});
const tokenEvent = (headers, request = 'GET/t/api/2.0/mlflow/experiments/get') => event(headers, request, '/t/{proxy+}');
// bearer puts the token where the UI authorizer reads it: the cookie.
const bearer = (t) => ({ Cookie: `${COOKIE_NAME}=${encodeURIComponent(`Bearer ${t}`)}` });
const header = (t) => ({ Authorization: `Bearer ${t}` });

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
  await rejects(handler, tokenEvent({}));
  await rejects(handler, tokenEvent({ Authorization: 'Bearer ' }));
  await rejects(handler, tokenEvent({ Authorization: `Basic ${jwt()}` }));
  await rejects(handler, { methodArn: `${STAGE}/GET/`, resource: '/' });
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

test('each authorizer reads only its identity source: the UI the cookie, /t/ the header', async () => {
  const { handler } = setup();
  const cookie = `${COOKIE_NAME}=${encodeURIComponent(`Bearer ${jwt({ username: 'from-cookie' })}`)}`;
  const both = { authorization: `Bearer ${jwt({ username: 'from-header' })}`, Cookie: cookie };
  assert.equal((await handler(event(both))).principalId, 'from-cookie');
  assert.equal((await handler(tokenEvent(both))).principalId, 'from-header');
  // A header token is no token on the UI path, a cookie none on /t/.
  await rejects(handler, event(header(jwt())));
  await rejects(handler, tokenEvent({ Cookie: cookie }));
  // A good header does not rescue a bad cookie.
  await rejects(handler, event({ Authorization: `Bearer ${jwt()}`, Cookie: `${COOKIE_NAME}=${jwt({}, { key: other.privateKey })}` }));
  // "/t" itself is under "/t/"; "/tx/..." is not.
  assert.equal((await handler(event(both, 'GET/t', '/t'))).principalId, 'from-header');
  assert.equal((await handler(event(both, 'GET/tx/a', '/tx/{proxy+}'))).principalId, 'from-cookie');
});

// apiGatewayCache models what API Gateway does in front of a REQUEST
// authorizer with caching on (AWS docs, "Use API Gateway Lambda
// authorizers" and "Configure a Lambda authorizer"): the answer is cached
// per authorizer under the values of its identity sources for the TTL; a
// missing identity source is 401 without calling the function; the cached
// policy is evaluated against each request's method ARN. Not modelled: the
// cache's size limit and eviction, and throttling.
function apiGatewayCache(handler, { ttlMs = 300_000 } = {}) {
  const cache = new Map();
  let now = 0;
  const authorizers = {
    ui: { resource: '/{proxy+}', identity: 'cookie' },
    token: { resource: '/t/{proxy+}', identity: 'authorization' },
  };
  return {
    advance(ms) { now += ms; },
    async request(authorizer, headers, request) {
      const a = authorizers[authorizer];
      const value = Object.entries(headers).find(([k]) => k.toLowerCase() === a.identity)?.[1];
      if (!value) return 401;
      const key = `${authorizer}\n${value}`;
      let hit = cache.get(key);
      if (!hit || hit.expires <= now) {
        try {
          hit = { answer: await handler(event(headers, request, a.resource)), expires: now + ttlMs };
          cache.set(key, hit);
        } catch {
          return 401;
        }
      }
      return allows(hit.answer, `${STAGE}/${request}`) ? 200 : 403;
    },
  };
}

test('cache poisoning: an admin bearer header beside any cookie gives the cookie nothing', async () => {
  const { handler } = setup();
  const gw = apiGatewayCache(handler);
  const request = 'POST/ajax-api/2.0/mlflow/experiments/delete';
  const admin = jwt({ username: 'root', 'cognito:groups': ['admins'] });
  // 1. An admin's bearer header next to an unrelated cookie.
  await gw.request('ui', { Authorization: `Bearer ${admin}`, Cookie: 'theme=dark' }, request);
  // 2. Anyone with the same cookie and no token, within the TTL.
  gw.advance(1_000);
  assert.equal(await gw.request('ui', { Cookie: 'theme=dark' }, request), 401);
  // The admin's own cookie still works, and on /t/ the header does.
  assert.equal(await gw.request('ui', bearer(admin), request), 200);
  assert.equal(await gw.request('token', header(admin), 'POST/t/api/2.0/mlflow/experiments/delete'), 200);
});

test('AUTH_SOURCES missing or invalid: every request refused, with an error log line', async () => {
  const bad = [undefined, '', 'not json', '{}', '[]', '[{"prefix":"/"}]', '[{"prefix":"x","source":"cookie:a"}]',
    '[{"prefix":"/","source":"query:token"}]', '[{"prefix":"/","source":"cookie:a"},{"prefix":"/","source":"header:B"}]',
    '[{"prefix":"/","source":"cookie:a","extra":1}]'];
  for (const authSources of bad) {
    const { handler, logs } = setup({ authSources });
    await rejects(handler, event(bearer(jwt())));
    await rejects(handler, tokenEvent(header(jwt())));
    assert.ok(logs.some((l) => l.includes('"level":"error"') && l.includes('AUTH_SOURCES')), `${authSources}: ${logs}`);
  }
});

test('the same header twice with different values is no token', async () => {
  const { handler } = setup();
  const ev = tokenEvent(header(jwt()));
  await rejects(handler, { ...ev, multiValueHeaders: { Authorization: [`Bearer ${jwt()}`, `Bearer ${jwt({ username: 'x' })}`] } });
  assert.equal((await handler({ ...ev, multiValueHeaders: { Authorization: [`Bearer ${jwt()}`] } })).principalId, 'alice');
});

test('malformed methodArn: Unauthorized, never a thrown error (a 500)', async () => {
  const { handler, logs } = setup();
  const token = jwt();
  for (const methodArn of [undefined, '', 42, 'arn:aws:lambda:us-east-1:123456789012:function:x',
    'arn:aws:execute-api:us-east-1:12345678901x:abcdef1234/prod/GET/x', `${STAGE}/GET/a\nb`,
    'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod', 'arn:aws:execute-api:us-east-1:123456789012:abc*/prod/GET/x',
    'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*/GET/x']) {
    await rejects(handler, { ...event(bearer(token)), methodArn });
  }
  assert.ok(logs.every((l) => !l.includes('authorizer failure')), logs.join('\n'));
});

test('a cookie jar with other cookies around it', async () => {
  const { handler } = setup();
  const value = encodeURIComponent(`Bearer ${jwt({ username: 'jar' })}`);
  const jar = `_ga=GA1.2.3; theme=dark; ${COOKIE_NAME}=${value}; mlflow-request-header-X-Other=abc; session=a=b=c`;
  assert.equal((await handler(event({ Cookie: jar }))).principalId, 'jar');
  assert.equal((await handler({ ...event({}), multiValueHeaders: { Cookie: [`a=1; ${COOKIE_NAME}=${value}`] } })).principalId, 'jar');
  // Two different Cookie headers: which one API Gateway keys on is not
  // written anywhere, so neither is used.
  await rejects(handler, { ...event({}), multiValueHeaders: { Cookie: ['a=1', `${COOKIE_NAME}=${value}`] } });
  // A look-alike name is not the cookie.
  await rejects(handler, event({ Cookie: `x${COOKIE_NAME}=${value}; ${COOKIE_NAME}-old=${value}` }));
});

test('extractToken handles bad encodings without throwing', () => {
  assert.equal(extractToken({ headers: { Cookie: `${COOKIE_NAME}=%E0%A4%A` } }), '');
  assert.equal(extractToken({ headers: { Cookie: `${COOKIE_NAME}="${encodeURIComponent('Bearer a.b.c')}"` } }), 'a.b.c');
  assert.equal(extractToken({}), '');
  assert.equal(extractToken({ headers: { Authorization: 'Bearer a.b.c' } }, 'header:Authorization'), 'a.b.c');
  assert.equal(extractToken({ headers: { Authorization: 'Bearer a.b.c' } }, `cookie:${COOKIE_NAME}`), '');
  assert.equal(extractToken(null, 'header:Authorization'), '');
});

test('base64url is decoded strictly: one token has one spelling', async () => {
  const { handler, logs } = setup();
  const token = jwt();
  const sig = token.split('.')[2];
  // 256 signature bytes leave 4 unused bits in the last character.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(sig.at(-1));
  let refused = 0;
  for (let low = 1; low < 16; low++) {
    const twin = `${token.slice(0, -1)}${alphabet[last ^ low]}`;
    assert.deepEqual(Buffer.from(twin.split('.')[2], 'base64url'), Buffer.from(sig, 'base64url'), 'not a twin spelling');
    await rejects(handler, event(bearer(twin)));
    refused++;
  }
  assert.equal(refused, 15);
  assert.ok(logs.filter((l) => JSON.parse(l).reason === 'malformed token').length === 15);
  assert.equal((await handler(event(bearer(token)))).principalId, 'alice');
});

test('JWKS: 50 concurrent requests on a cold instance share one fetch and all pass', async () => {
  let release;
  const gate = new Promise((r) => { release = r; });
  const { handler, fetches } = setup({
    fetchImpl: async (url) => {
      fetches.push(url);
      await gate;
      return { ok: true, status: 200, json: async () => ({ keys: [jwk] }) };
    },
  });
  const all = Array.from({ length: 50 }, () => handler(event(bearer(jwt()))).then(() => true, () => false));
  release();
  assert.equal((await Promise.all(all)).filter(Boolean).length, 50);
  assert.equal(fetches.length, 1);
});

test('JWKS: 30 concurrent requests during a key-rotation refresh all pass on one fetch', async () => {
  let now = NOW;
  let release = () => {};
  let keys = [jwk];
  const fetches = [];
  const { handler } = setup({
    now: () => now,
    fetchImpl: async (url) => {
      fetches.push(url);
      if (fetches.length > 1) await new Promise((r) => { release = r; });
      return { ok: true, status: 200, json: async () => ({ keys }) };
    },
  });
  await handler(event(bearer(jwt())));
  now += 61_000;
  keys = [jwk, { ...other.publicKey.export({ format: 'jwk' }), kid: 'k2', alg: 'RS256' }];
  const t2 = jwt({ exp: now / 1000 + 60 }, { header: { kid: 'k2' }, key: other.privateKey });
  const all = Array.from({ length: 30 }, () => handler(event(bearer(t2))).then(() => true, () => false));
  await new Promise((r) => setImmediate(r));
  release();
  assert.equal((await Promise.all(all)).filter(Boolean).length, 30);
  assert.equal(fetches.length, 2);
});

test('JWKS: a failed cold-start fetch is retried after a second, not a minute, and no sooner', async () => {
  let now = NOW;
  let fail = true;
  const fetches = [];
  const { handler } = setup({
    now: () => now,
    fetchImpl: async (url) => {
      fetches.push(url);
      return fail ? { ok: false, status: 503 } : { ok: true, status: 200, json: async () => ({ keys: [jwk] }) };
    },
  });
  await rejects(handler, event(bearer(jwt())));
  await rejects(handler, event(bearer(jwt())));
  assert.equal(fetches.length, 1, 'retried at once: an outage would become a flood');
  now += 1_000;
  await rejects(handler, event(bearer(jwt())));
  assert.equal(fetches.length, 2);
  now += 1_000;
  await rejects(handler, event(bearer(jwt())));
  assert.equal(fetches.length, 2, 'the second retry waits 2 s');
  fail = false;
  now += 1_000;
  assert.equal((await handler(event(bearer(jwt())))).principalId, 'alice');
  assert.equal(fetches.length, 3);
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
  Object.assign(process.env, { USER_POOL_ID: POOL, APP_CLIENT_ID: CLIENT, AUTH_SOURCES, JWKS_URL: 'http://127.0.0.1:9/evil', COGNITO_KEYS_URL: 'http://127.0.0.1:9/evil' });
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
