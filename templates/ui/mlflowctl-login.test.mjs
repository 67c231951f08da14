// Tests for mlflowctl-login.js with plain objects standing in for the
// browser (location, sessionStorage, document.cookie, fetch, timers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const login = require('./mlflowctl-login.js');

const SETTINGS = {
  region: 'us-east-1',
  userPoolId: 'us-east-1_TestPool1',
  clientId: 'client123',
  domain: 'auth.example.test',
  redirectUri: 'https://ui.example.test/',
  tokenUse: 'access',
};
const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1';
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function b64url(s) {
  return Buffer.from(s).toString('base64url');
}

function jwt(claims) {
  return b64url(JSON.stringify({ alg: 'RS256' })) + '.' + b64url(JSON.stringify(claims)) + '.c2ln';
}

function tokenBody(lifetimeSec, extra = {}) {
  const exp = Math.floor(NOW / 1000) + lifetimeSec;
  return {
    access_token: jwt({ iss: ISSUER, token_use: 'access', exp, n: Math.random() }),
    id_token: jwt({ iss: ISSUER, token_use: 'id', exp, n: Math.random() }),
    refresh_token: 'refresh-1',
    expires_in: lifetimeSec,
    token_type: 'Bearer',
    ...extra,
  };
}

// fakeEnv records every effect the script has on the page.
function fakeEnv({ search = '', hash = '#/experiments/1', settings = SETTINGS, storage, token, jar } = {}) {
  const store = storage || new Map();
  const env = {
    calls: [],
    cookies: [],
    timers: [],
    errors: [],
    signOutButtons: 0,
    hidden: false,
    clock: NOW,
    location: {
      pathname: '/',
      hash,
      search,
      assigned: [],
      replaced: [],
      assign(u) {
        this.assigned.push(u);
      },
      replace(u) {
        this.replaced.push(u);
      },
    },
    storage: {
      map: store,
      getItem: (k) => (store.has(k) ? store.get(k) : null),
      setItem: (k, v) => store.set(k, String(v)),
      removeItem: (k) => store.delete(k),
    },
    crypto: globalThis.crypto,
    settingsUrl: 'https://ui.example.test/static-files/mlflowctl-auth.json',
  };
  // The cookie jar is shared by the tabs of a test (pass the same jar).
  env.jar = jar || new Map();
  env.document = {
    set cookie(v) {
      env.cookies.push(v);
      const [pair] = v.split('; ');
      const i = pair.indexOf('=');
      if (/Max-Age=0/.test(v)) env.jar.delete(pair.slice(0, i));
      else env.jar.set(pair.slice(0, i), pair.slice(i + 1));
    },
    get cookie() {
      return [...env.jar].map(([k, v]) => k + '=' + v).join('; ');
    },
  };
  env.now = () => env.clock;
  env.setTimeout = (fn, ms) => {
    env.timers.push({ fn, ms, cleared: false });
    return env.timers.length;
  };
  env.clearTimeout = (id) => {
    env.timers[id - 1].cleared = true;
  };
  env.ui = {
    hide: () => (env.hidden = true),
    hold: () => (env.hidden = env.held = true),
    show: () => (env.hidden = false),
    showError: (msg, retry) => env.errors.push({ msg, retry }),
    addSignOut: (fn) => {
      env.signOutButtons++;
      env.signOut = fn;
    },
  };
  env.fetch = async (url, opts = {}) => {
    env.calls.push({ url, opts });
    if (url === env.settingsUrl) return { ok: true, status: 200, json: async () => settings };
    if (url === 'https://auth.example.test/oauth2/token') {
      const form = new URLSearchParams(opts.body);
      const [status, body] = token ? token(form) : [200, tokenBody(3600)];
      return { ok: status === 200, status, json: async () => body };
    }
    return { ok: false, status: 404, json: async () => ({}) };
  };
  return env;
}

function tokenCalls(env) {
  return env.calls.filter((c) => c.url.endsWith('/oauth2/token')).map((c) => new URLSearchParams(c.opts.body));
}

function lastCookie(env) {
  return env.cookies[env.cookies.length - 1];
}

function parseCookie(s) {
  const [pair, ...attrs] = s.split('; ');
  const i = pair.indexOf('=');
  const out = { name: pair.slice(0, i), value: decodeURIComponent(pair.slice(i + 1)), attrs: {} };
  for (const a of attrs) {
    const j = a.indexOf('=');
    out.attrs[j < 0 ? a : a.slice(0, j)] = j < 0 ? true : a.slice(j + 1);
  }
  return out;
}

async function sha256url(s) {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s));
  return Buffer.from(d).toString('base64url');
}

// signIn runs the whole redirect round trip and returns the second page's env.
async function signIn(opts = {}) {
  const first = fakeEnv(opts);
  await login.createAuth(first).start();
  const url = new URL(first.location.assigned[0]);
  const back = fakeEnv({ ...opts, storage: first.storage.map, search: '?code=abc&state=' + url.searchParams.get('state'), hash: '' });
  const result = await login.createAuth(back).start();
  return { first, back, result, authorize: url };
}

test('PKCE matches the RFC 7636 appendix B test vector', async () => {
  const octets = new Uint8Array([
    116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91,
    88, 5, 88, 83, 132, 141, 121,
  ]);
  const { verifier, challenge } = await login.pkcePair(octets, crypto.subtle);
  assert.equal(verifier, 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
  assert.equal(challenge, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
});

test('a user without a session goes to managed login with PKCE S256 and a state', async () => {
  const env = fakeEnv();
  assert.equal(await login.createAuth(env).start(), 'login');
  assert.equal(env.location.assigned.length, 1);
  const url = new URL(env.location.assigned[0]);
  assert.equal(url.origin + url.pathname, 'https://auth.example.test/oauth2/authorize');
  const q = url.searchParams;
  assert.equal(q.get('response_type'), 'code');
  assert.equal(q.get('client_id'), 'client123');
  assert.equal(q.get('redirect_uri'), 'https://ui.example.test/');
  assert.equal(q.get('code_challenge_method'), 'S256');
  const pending = JSON.parse(env.storage.getItem('mlflowctl.auth.pending'));
  assert.equal(q.get('state'), pending.state);
  assert.match(pending.verifier, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(q.get('code_challenge'), await sha256url(pending.verifier));
  assert.equal(pending.returnTo, '/#/experiments/1');
  assert.equal(env.hidden, true);
});

test('the code is exchanged with the verifier and the user returns to the route', async () => {
  const { first, back, result } = await signIn();
  assert.equal(result, 'signed-in');
  const [form] = tokenCalls(back);
  const pending = JSON.parse(first.storage.getItem('mlflowctl.auth.pending') || 'null');
  assert.equal(pending, null, 'the pending login is consumed');
  assert.equal(form.get('grant_type'), 'authorization_code');
  assert.equal(form.get('code'), 'abc');
  assert.equal(form.get('client_id'), 'client123');
  assert.equal(form.get('redirect_uri'), 'https://ui.example.test/');
  assert.equal(await sha256url(form.get('code_verifier')), new URL(first.location.assigned[0]).searchParams.get('code_challenge'));
  assert.deepEqual(back.location.replaced, ['/#/experiments/1']);
  const stored = JSON.parse(back.storage.getItem('mlflowctl.auth.tokens'));
  assert.equal(stored.refreshToken, 'refresh-1');
});

test('a state mismatch is rejected without a token request, and never loops', async () => {
  const first = fakeEnv();
  await login.createAuth(first).start();
  const store = first.storage.map;
  let env;
  for (let i = 1; i <= 3; i++) {
    env = fakeEnv({ storage: store, search: '?code=abc&state=forged', hash: '' });
    const r = await login.createAuth(env).start();
    assert.equal(tokenCalls(env).length, 0);
    assert.ok(!env.cookies.some((c) => c.includes('Bearer')));
    if (i <= login.MAX_AUTO_LOGINS) {
      assert.equal(r, 'login');
      assert.equal(env.location.assigned.length, 1);
      assert.equal(JSON.parse(store.get('mlflowctl.auth.pending')).returnTo, '/#/experiments/1', 'the route survives the retry');
    }
  }
  assert.equal(env.location.assigned.length, 0, 'after repeated failures the user is asked, not redirected');
  assert.equal(env.location.replaced.length, 0);
  assert.match(env.errors[0].msg, /state mismatch/);
  assert.equal(env.hidden, false);
});

test('the cookie carries the token with Secure, SameSite=Strict, path=/ and the token expiry', async () => {
  const { back } = await signIn();
  const stored = JSON.parse(back.storage.getItem('mlflowctl.auth.tokens'));
  const c = parseCookie(lastCookie(back));
  assert.equal(c.name, 'mlflow-request-header-Authorization');
  assert.equal(c.value, 'Bearer ' + stored.accessToken);
  assert.equal(c.attrs.Path, '/');
  assert.equal(c.attrs.Secure, true);
  assert.equal(c.attrs.SameSite, 'Strict');
  assert.equal(c.attrs.Expires, new Date(NOW + 3600 * 1000).toUTCString());
  assert.ok(!('HttpOnly' in c.attrs), 'the UI must be able to read it');
});

test('tokenUse id puts the id token in the cookie', async () => {
  const { back } = await signIn({ settings: { ...SETTINGS, tokenUse: 'id' } });
  const stored = JSON.parse(back.storage.getItem('mlflowctl.auth.tokens'));
  assert.equal(parseCookie(lastCookie(back)).value, 'Bearer ' + stored.idToken);
  assert.notEqual(stored.idToken, stored.accessToken);
});

test('a refresh is scheduled before expiry and renews the cookie', async () => {
  const { back } = await signIn();
  const timer = back.timers.at(-1);
  assert.equal(timer.ms, 3600 * 1000 - login.REFRESH_EARLY_MS);
  back.clock += timer.ms;
  const newBody = tokenBody(3600 + timer.ms / 1000, { refresh_token: undefined });
  back.fetch = ((orig) => async (url, opts) => {
    if (url.endsWith('/oauth2/token')) {
      back.calls.push({ url, opts });
      return { ok: true, status: 200, json: async () => newBody };
    }
    return orig(url, opts);
  })(back.fetch);
  assert.equal(await timer.fn.call(null), 'refreshed');
  const form = tokenCalls(back).at(-1);
  assert.equal(form.get('grant_type'), 'refresh_token');
  assert.equal(form.get('refresh_token'), 'refresh-1');
  assert.equal(parseCookie(lastCookie(back)).value, 'Bearer ' + newBody.access_token);
  const stored = JSON.parse(back.storage.getItem('mlflowctl.auth.tokens'));
  assert.equal(stored.refreshToken, 'refresh-1', 'the refresh token is kept');
  assert.ok(back.timers.at(-1).ms > 0 && back.timers.at(-1) !== timer);
});

test('a short-lived token is refreshed at half its remaining time', async () => {
  const { back } = await signIn({ token: () => [200, tokenBody(240)] });
  assert.equal(back.timers.at(-1).ms, 120 * 1000);
});

test('a failed refresh goes back to login, not to a reload', async () => {
  let n = 0;
  const { back } = await signIn({ token: () => (n++ === 0 ? [200, tokenBody(3600)] : [400, { error: 'invalid_grant' }]) });
  const before = back.location.replaced.length;
  const result = await back.timers.at(-1).fn();
  assert.equal(result, 'login');
  assert.equal(back.location.replaced.length, before, 'no reload');
  assert.match(back.location.assigned.at(-1), /\/oauth2\/authorize\?/);
  assert.equal(back.storage.getItem('mlflowctl.auth.tokens'), null);
  assert.match(lastCookie(back), /^mlflow-request-header-Authorization=;.*Max-Age=0/);
});

test('a page load with a valid session sets the cookie and makes no request', async () => {
  const { back } = await signIn();
  const again = fakeEnv({ storage: back.storage.map });
  assert.equal(await login.createAuth(again).start(), 'session');
  assert.equal(again.calls.length, 0);
  assert.equal(again.location.assigned.length + again.location.replaced.length, 0);
  assert.match(lastCookie(again), /^mlflow-request-header-Authorization=Bearer%20/);
  assert.equal(again.signOutButtons, 1);
});

test('sign-out clears tokens and cookie and calls /logout', async () => {
  const { back } = await signIn();
  const page = fakeEnv({ storage: back.storage.map });
  const auth = login.createAuth(page);
  await auth.start();
  assert.equal(await page.signOut(), 'signed-out');
  for (const k of ['mlflowctl.auth.tokens', 'mlflowctl.auth.pending', 'mlflowctl.auth.failures']) {
    assert.equal(page.storage.getItem(k), null, k);
  }
  const c = parseCookie(lastCookie(page));
  assert.equal(c.value, '');
  assert.equal(c.attrs['Max-Age'], '0');
  assert.equal(c.attrs.Path, '/');
  const url = new URL(page.location.assigned.at(-1));
  assert.equal(url.origin + url.pathname, 'https://auth.example.test/logout');
  assert.equal(url.searchParams.get('client_id'), 'client123');
  assert.equal(url.searchParams.get('logout_uri'), 'https://ui.example.test/');
  assert.ok(page.timers.every((t) => t.cleared), 'the refresh timer is stopped');
});

test('a token from another user pool is refused', async () => {
  const other = tokenBody(3600, { access_token: jwt({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other', exp: NOW / 1000 + 3600 }) });
  const { back, result } = await signIn({ token: () => [200, other] });
  assert.equal(result, 'login');
  assert.ok(!back.cookies.some((c) => c.includes('Bearer')));
});

test('incomplete settings show an error and do not redirect', async () => {
  const env = fakeEnv({ settings: { ...SETTINGS, clientId: '' } });
  assert.equal(await login.createAuth(env).start(), 'error');
  assert.equal(env.location.assigned.length, 0);
  assert.match(env.errors[0].msg, /"clientId" is missing/);
});

test('expired tokens at page load are refreshed, then the page loads once more', async () => {
  const { back } = await signIn();
  const stored = JSON.parse(back.storage.getItem('mlflowctl.auth.tokens'));
  const page = fakeEnv({ storage: back.storage.map });
  page.clock = stored.expiresAt + 1000;
  page.fetch = ((orig) => async (url, opts) => {
    if (url.endsWith('/oauth2/token')) {
      page.calls.push({ url, opts });
      return { ok: true, status: 200, json: async () => tokenBody(7200) };
    }
    return orig(url, opts);
  })(page.fetch);
  assert.equal(await login.createAuth(page).start(), 'refreshed');
  assert.equal(tokenCalls(page)[0].get('grant_type'), 'refresh_token');
  assert.deepEqual(page.location.replaced, ['/#/experiments/1']);
  assert.equal(page.location.assigned.length, 0);
  // The next load finds a valid session: no request, no navigation.
  const next = fakeEnv({ storage: back.storage.map });
  next.clock = page.clock;
  assert.equal(await login.createAuth(next).start(), 'session');
  assert.equal(next.location.replaced.length + next.location.assigned.length, 0);
});

test('expiry follows the token lifetime on the browser clock, whatever the skew', async () => {
  const iat = Math.floor(NOW / 1000);
  const body = tokenBody(1800, { access_token: jwt({ iss: ISSUER, iat, exp: iat + 1800 }), expires_in: 3600 });
  const skewed = fakeEnv({ token: () => [200, body] });
  skewed.clock = NOW + 2 * 3600 * 1000; // the browser's clock is two hours ahead
  await login.createAuth(skewed).start();
  const state = new URL(skewed.location.assigned[0]).searchParams.get('state');
  const back = fakeEnv({ storage: skewed.storage.map, search: '?code=abc&state=' + state, hash: '', token: () => [200, body] });
  back.clock = skewed.clock;
  assert.equal(await login.createAuth(back).start(), 'signed-in');
  assert.equal(parseCookie(lastCookie(back)).attrs.Expires, new Date(back.clock + 1800 * 1000).toUTCString());
  assert.equal(back.timers.at(-1).ms, 1800 * 1000 - login.REFRESH_EARLY_MS);
});

test('a new tab does not delete the cookie of another tab whose token is still valid', async () => {
  // Tab A signs in; its token is in the cookie every tab of the site shares.
  const jar = new Map();
  const { result } = await signIn({ jar });
  assert.equal(result, 'signed-in');
  const shared = decodeURIComponent(jar.get(login.COOKIE_NAME) || '');
  assert.match(shared, /^Bearer ey/, 'tab A is signed in');
  // Tab B opens: its sessionStorage is empty, so it goes to login...
  const b = fakeEnv({ jar });
  assert.equal(await login.createAuth(b).start(), 'login');
  assert.ok(b.held, 'the new tab holds its page while it signs in');
  // ...without touching the shared cookie tab A's API calls carry.
  assert.deepEqual(b.cookies, [], 'the new tab wrote the cookie: ' + b.cookies.join(' | '));
  assert.equal(decodeURIComponent(jar.get(login.COOKIE_NAME)), shared);
});

test('a tab clears the cookie when it holds its own failed session', async () => {
  const jar = new Map();
  const env = fakeEnv({ jar, token: () => [400, { error: 'invalid_grant' }] });
  const tokens = { token: 'mine', refreshToken: 'r', expiresAt: NOW + 10 * 60 * 1000 };
  env.storage.setItem('mlflowctl.auth.tokens', JSON.stringify(tokens));
  jar.set(login.COOKIE_NAME, encodeURIComponent('Bearer mine'));
  const auth = login.createAuth(env);
  assert.equal(await auth.start(), 'session');
  assert.equal(await auth.refreshNow(), 'login');
  assert.equal(jar.has(login.COOKIE_NAME), false, 'a failed session of this tab leaves its cookie');
});
