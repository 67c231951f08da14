// Tests of the Lambda authorizer (node --test). Keys are made here; the
// JWKS is served by a stand-in fetch so key refresh can be counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, createHmac, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createAuthorizer, extractToken, globToRegExp, decideRequest, stageArn, parseSources, COOKIE_NAME,
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
// What the api stack configures (pkg/stacks.AuthSources) plus the SDK token
// path's header authorizer: the UI's resources are keyed on the cookie,
// /t/ resources on the Authorization header.
const SOURCES = JSON.stringify([
  { prefix: '/', source: `cookie:${COOKIE_NAME}` },
  { prefix: '/t/', source: 'header:Authorization' },
]);
const UI_RESOURCE = '/{proxy+}';
const TOKEN_RESOURCE = '/t/api/{proxy+}';

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
    userPoolId: POOL, appClientId: CLIENT, policy, sources: SOURCES, now: () => opts.now ?? NOW,
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

// event is a request on the UI's resources (cookie authorizer).
const event = (headers, request = 'GET/ajax-api/2.0/mlflow/experiments/get', resource = UI_RESOURCE) => ({
  type: 'REQUEST', methodArn: `${STAGE}/${request}`, resource, headers,
});
// tokenEvent is a request on the SDK token path (header authorizer).
const tokenEvent = (headers, request = 'GET/t/api/2.0/mlflow/experiments/get') => event(headers, request, TOKEN_RESOURCE);
// bearer is how the login script sends a token on the UI path: the cookie.
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
  await rejects(handler, event({ Cookie: `${COOKIE_NAME}=${encodeURIComponent('Bearer ')}` }));
  await rejects(handler, tokenEvent({ Authorization: 'Bearer ' }));
  await rejects(handler, tokenEvent({ Authorization: `Basic ${jwt()}` }));
  await rejects(handler, { methodArn: `${STAGE}/GET/` });
  await rejects(handler, { methodArn: `${STAGE}/GET/`, resource: UI_RESOURCE });
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

// gatewayWithCache models API Gateway's REQUEST authorizer cache: the
// answer of an allowed call is kept for ttl under the values of the
// configured identity source alone ("Configure a Lambda authorizer",
// API Gateway developer guide: the identity sources are the cache key);
// a 401 is not cached here (caching it too would only make the model
// stricter).
function gatewayWithCache(handler, identityHeader, ttlMs) {
  const cache = new Map();
  return async (ev, now) => {
    const key = Object.entries(ev.headers || {}).find(([k]) => k.toLowerCase() === identityHeader)?.[1];
    if (key === undefined) return 'Unauthorized'; // API Gateway refuses before calling the function
    const hit = cache.get(key);
    let answer = hit && now < hit.until ? hit.answer : null;
    if (!answer) {
      try {
        answer = await handler(ev);
      } catch {
        return 'Unauthorized';
      }
      cache.set(key, { answer, until: now + ttlMs });
    }
    return allows(answer, ev.methodArn) ? 'Allow' : 'Deny';
  };
}

test('cache poisoning: a bearer header next to any cookie earns nothing for that cookie', async () => {
  const { handler } = setup();
  const gw = gatewayWithCache(handler, 'cookie', 300_000);
  const admin = jwt({ username: 'root', 'cognito:groups': ['admins'] });
  const write = 'POST/ajax-api/2.0/mlflow/experiments/create';
  // The admin's client sends its header and an unrelated cookie.
  assert.equal(await gw(event({ Authorization: `Bearer ${admin}`, Cookie: 'theme=dark' }, write), NOW), 'Unauthorized');
  // Anyone else with the same cookie and no token is refused, not served
  // an admin answer from the cache.
  assert.equal(await gw(event({ Cookie: 'theme=dark' }, write), NOW + 1000), 'Unauthorized');
});

test('only the configured identity source counts: cookie on the UI path, header on the token path', async () => {
  const { handler } = setup();
  const cookie = bearer(jwt({ username: 'from-cookie' }));
  const head = header(jwt({ username: 'from-header' }));
  assert.equal((await handler(event({ ...head, ...cookie }))).principalId, 'from-cookie');
  await rejects(handler, event(head));
  assert.equal((await handler(tokenEvent({ ...head, ...cookie }))).principalId, 'from-header');
  await rejects(handler, tokenEvent(cookie));
  // A bad token in the source is not rescued by a good one elsewhere.
  await rejects(handler, event({ ...header(jwt()), Cookie: `${COOKIE_NAME}=${encodeURIComponent(`Bearer ${jwt({}, { key: other.privateKey })}`)}` }));
  // Two copies of the one source are ambiguous.
  await rejects(handler, { ...tokenEvent({}), multiValueHeaders: { Authorization: [`Bearer ${jwt()}`, `Bearer ${jwt({ username: 'b' })}`] } });
});

test('AUTH_SOURCES missing or broken: every request is refused and an error logged', async () => {
  for (const bad of [undefined, '', 'not json', '[]', '[{"prefix":"/","source":"query:token"}]', '[{"prefix":"x","source":"cookie:a"}]']) {
    const { handler, logs } = setup({ sources: bad });
    await rejects(handler, event(bearer(jwt())));
    await rejects(handler, tokenEvent(header(jwt())));
    assert.ok(logs.some((l) => l.includes('"level":"error"') && l.includes('AUTH_SOURCES')), `no error logged for ${bad}`);
  }
  assert.deepEqual(parseSources(SOURCES).map((x) => x.prefix), ['/t/', '/'], 'longest prefix first');
  // A resource no entry covers is refused.
  const { handler } = setup({ sources: JSON.stringify([{ prefix: '/t/', source: 'header:Authorization' }]) });
  await rejects(handler, event(bearer(jwt())));
});

test('a malformed methodArn is Unauthorized, never an exception', async () => {
  const { handler, logs } = setup();
  const token = jwt();
  const arns = [undefined, '', 42, 'arn:aws:lambda:us-east-1:123456789012:function:x',
    'arn:aws:execute-api:us-east-1:12345678901x:abcdef1234/prod/GET/x',
    `${STAGE}/GET/ajax-api/2.0/mlflow/experiments/get\n/admin`, `${STAGE}/GET`, `${STAGE}/get/x`,
    `arn:aws:execute-api:us-east-1:123456789012:abcdef1234`, `${STAGE}/GET/${'a'.repeat(9000)}`];
  for (const methodArn of arns) {
    await rejects(handler, { ...event(bearer(token)), methodArn });
  }
  assert.ok(logs.every((l) => !l.includes('"level":"error"')), 'bad input logged as a failure');
  // A space or non-ASCII in a path is still a path.
  assert.deepEqual(stageArn(`${STAGE}/GET/ajax-api/2.0/mlflow-artifacts/artifacts/a b/é.png`).request, 'GET/ajax-api/2.0/mlflow-artifacts/artifacts/a b/é.png');
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
  const [, cookie] = parseSources(SOURCES);
  assert.equal(extractToken({ headers: { Cookie: `${COOKIE_NAME}=%E0%A4%A` } }, cookie), '');
  assert.equal(extractToken({ headers: { Cookie: `${COOKIE_NAME}="${encodeURIComponent('Bearer a.b.c')}"` } }, cookie), 'a.b.c');
  assert.equal(extractToken({}, cookie), '');
  assert.equal(extractToken({ headers: { Cookie: `${COOKIE_NAME}=a.b.c` } }), '', 'no source, no token');
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

// slowJWKS serves the keys after release() is called, counting fetches.
function slowJWKS(keys = [jwk]) {
  const gate = { fetches: 0 };
  let open;
  gate.opened = new Promise((r) => { open = r; });
  gate.release = () => open();
  gate.fetchImpl = async () => {
    gate.fetches++;
    await gate.opened;
    return { ok: true, status: 200, json: async () => ({ keys }) };
  };
  return gate;
}

test('JWKS: 50 concurrent requests on a cold instance share one fetch and all succeed', async () => {
  const gate = slowJWKS();
  const { handler } = setup({ fetchImpl: gate.fetchImpl });
  const calls = Array.from({ length: 50 }, () => handler(event(bearer(jwt()))));
  gate.release();
  const results = await Promise.allSettled(calls);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 50);
  assert.equal(gate.fetches, 1);
});

test('JWKS: 30 concurrent requests during a key rotation share the refresh', async () => {
  let now = NOW;
  let gate = null;
  const rotated = { ...other.publicKey.export({ format: 'jwk' }), kid: 'k2', alg: 'RS256' };
  const { handler } = setup({
    now: () => now,
    fetchImpl: async (url) => (gate ? gate.fetchImpl(url) : { ok: true, status: 200, json: async () => ({ keys: [jwk] }) }),
  });
  await handler(event(bearer(jwt())));
  now += 61_000;
  gate = slowJWKS([jwk, rotated]);
  const t2 = jwt({ exp: now / 1000 + 60 }, { header: { kid: 'k2' }, key: other.privateKey });
  const calls = Array.from({ length: 30 }, () => handler(event(bearer(t2))));
  gate.release();
  const results = await Promise.allSettled(calls);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 30);
  assert.equal(gate.fetches, 1);
});

test('JWKS: a failed cold-start fetch is retried within seconds, with a bound', async () => {
  let now = NOW;
  let fail = true;
  let fetches = 0;
  const { handler } = setup({
    now: () => now,
    fetchImpl: async () => {
      fetches++;
      return fail ? { ok: false, status: 503 } : { ok: true, status: 200, json: async () => ({ keys: [jwk] }) };
    },
  });
  await rejects(handler, event(bearer(jwt())));
  await rejects(handler, event(bearer(jwt())));
  assert.equal(fetches, 1, 'a second fetch at once after a failure');
  fail = false;
  now += 1_000;
  assert.equal((await handler(event(bearer(jwt())))).principalId, 'alice');
  assert.equal(fetches, 2);
  // While it keeps failing, the wait doubles up to a minute.
  const calls = [];
  const { handler: h2 } = setup({ now: () => now, fetchImpl: async () => { calls.push(now); return { ok: false, status: 503 }; } });
  for (let i = 0; i < 400; i++) {
    await h2(event(bearer(jwt()))).catch(() => {});
    now += 1_000;
  }
  const gaps = calls.slice(1).map((t, i) => t - calls[i]);
  assert.ok(gaps.every((g) => g <= 60_000), `gap above a minute: ${gaps}`);
  assert.ok(gaps.slice(-3).every((g) => g === 60_000), `no back-off to a minute: ${gaps}`);
});

test('base64url is strict: another spelling of the same signature is refused', async () => {
  const { handler } = setup();
  const token = jwt();
  const [h, p, sig] = token.split('.');
  // 256 signature bytes encode to 342 characters whose last carries 4
  // unused bits; flipping one of them decodes to the same bytes.
  const last = sig.at(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const twin = alphabet[alphabet.indexOf(last) ^ 1];
  assert.deepEqual(Buffer.from(sig.slice(0, -1) + twin, 'base64url'), Buffer.from(sig, 'base64url'));
  assert.equal((await handler(event(bearer(token)))).principalId, 'alice');
  await rejects(handler, event(bearer(`${h}.${p}.${sig.slice(0, -1)}${twin}`)));
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

test('shared vectors on browser and token paths through the handler', async () => {
  const { handler } = setup();
  let n = 0;
  let t = 0;
  for (const v of vectors.filter((x) => !x.path.startsWith('/api/'))) {
    const request = `${v.method}/${v.path.slice(1)}`;
    const token = jwt({ 'cognito:groups': v.groups });
    const onToken = v.path.startsWith('/t/');
    const ans = await handler(onToken ? tokenEvent(header(token), request) : event(bearer(token), request));
    assert.equal(allows(ans, `${STAGE}/${request}`) ? 'allow' : 'deny', v.expect, `${v.groups} ${request}`);
    n++;
    if (onToken) t++;
  }
  assert.ok(n >= 100 && t >= 5, `${n} vectors, ${t} on the token path`);
});

test('each answer carries only its own path\'s patterns', async () => {
  const { handler } = setup();
  const token = jwt({ 'cognito:groups': ['readers'] });
  const ui = (await handler(event(bearer(token)))).policyDocument.Statement[0].Resource;
  const tok = (await handler(tokenEvent(header(token)))).policyDocument.Statement[0].Resource;
  assert.ok(ui.length > 10 && tok.length > 10);
  assert.ok(ui.every((r) => !r.slice(STAGE.length + 1).split('/').slice(1).join('/').startsWith('t/')), 'token pattern in the UI answer');
  assert.ok(tok.every((r) => r.slice(STAGE.length + 1).split('/').slice(1).join('/').startsWith('t/')), 'UI pattern in the token answer');
});

// Issue 16: every answer stays under 8 KB (pkg/authz AnswerLimit) for any
// combination of the default groups, on both paths, with the longest
// stage ARN pkg/authz budgets for (MaxARNPrefixLen: aws-us-gov, a
// 14-character region, a 20-character stage) and a 128-character username
// (Cognito's maximum).
test('every answer is under 8 KB for any combination of the default groups', async () => {
  const { handler } = setup();
  const longStage = 'arn:aws-us-gov:execute-api:ap-southeast-2:123456789012:abcdefghij/stage-name-of-20-ch';
  const names = Object.keys(policy.groups);
  let largest = 0;
  for (let mask = 1; mask < 1 << names.length; mask++) {
    const groups = names.filter((_, i) => mask & (1 << i));
    const token = jwt({ 'cognito:groups': groups, username: 'u'.repeat(128) });
    for (const ev of [event(bearer(token)), tokenEvent(header(token))]) {
      const ans = await handler({ ...ev, methodArn: `${longStage}/${ev.methodArn.slice(STAGE.length + 1)}` });
      const size = Buffer.byteLength(JSON.stringify(ans));
      largest = Math.max(largest, size);
      assert.ok(size < 8192, `${groups} on ${ev.resource}: ${size} bytes`);
    }
  }
  assert.ok(largest > 1000, `largest ${largest}`);
});

test('index.mjs reads its settings from the environment and ignores any JWKS override', async () => {
  const urls = [];
  const saved = globalThis.fetch;
  Object.assign(process.env, { USER_POOL_ID: POOL, APP_CLIENT_ID: CLIENT, AUTH_SOURCES: SOURCES, JWKS_URL: 'http://127.0.0.1:9/evil', COGNITO_KEYS_URL: 'http://127.0.0.1:9/evil' });
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

test('each authorizer answers with its own paths only: the UI without /t twins, the token path with them', async () => {
  const { handler } = setup();
  const reader = jwt({ 'cognito:groups': ['readers', 'model-approvers'] });
  const ui = await handler(event(bearer(reader)));
  const uiRes = ui.policyDocument.Statement[0].Resource;
  assert.ok(uiRes.length > 0 && uiRes.every((r) => !r.slice(STAGE.length).includes('/t/')), 'token-path patterns in the UI answer');
  const tp = await handler(tokenEvent(header(reader), 'GET/t/api/2.0/mlflow/experiments/get'));
  const tpRes = tp.policyDocument.Statement[0].Resource;
  assert.ok(tpRes.length > 0 && tpRes.every((r) => r.slice(STAGE.length).match(/^\/[A-Z*]+\/t\//)), 'UI patterns in the token-path answer');
  assert.ok(allows(tp, `${STAGE}/GET/t/api/2.0/mlflow/experiments/get`));
  assert.ok(!allows(tp, `${STAGE}/POST/t/api/2.0/mlflow/runs/create`));
  assert.ok(!allows(ui, `${STAGE}/GET/t/api/2.0/mlflow/experiments/get`));
  const admin = await handler(tokenEvent(header(jwt({ 'cognito:groups': ['admins'] })), 'POST/t/api/2.0/mlflow/runs/create'));
  assert.deepEqual(admin.policyDocument.Statement[0].Resource, [`${STAGE}/*/*`]);
});
