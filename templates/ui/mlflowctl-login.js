/*
 * mlflowctl login for the MLflow UI.
 *
 * Loaded by a <script> tag the mlflowctl patch adds to the UI's index.html,
 * before the React bundle. It signs the user in with Amazon Cognito managed
 * login (authorization code + PKCE S256, RFC 7636), keeps the tokens in
 * sessionStorage, refreshes them before they expire, and sets the cookie
 *   mlflow-request-header-Authorization=Bearer <token>
 * which the stock MLflow UI turns into an `Authorization` header on its API
 * calls (FetchUtils.getDefaultHeadersFromCookies).
 *
 * Settings come at run time from mlflowctl-auth.json, served next to this
 * script (same directory), so one UI build serves any deployment:
 *   {
 *     "region":      "us-east-1",
 *     "userPoolId":  "us-east-1_AbCdEf123",
 *     "clientId":    "1example23456789",
 *     "domain":      "https://mlflow-auth.auth.us-east-1.amazoncognito.com",
 *     "redirectUri": "https://main.d1abc.amplifyapp.com/",
 *     "logoutUri":   "https://main.d1abc.amplifyapp.com/",   (optional, default redirectUri)
 *     "tokenUse":    "access",                               ("access" or "id", as the authorizer)
 *     "scopes":      ["openid", "email", "profile"]          (optional)
 *   }
 * The UI routes with #/ URLs, so redirectUri is the UI's root and Cognito
 * returns to /?code=...; the route the user was on is restored afterwards.
 *
 * Plain JavaScript, no dependencies, no build step. In Node (tests) the file
 * only exports its functions; in a browser it starts itself.
 */
(function (root, factory) {
  'use strict';
  const api = factory();
  if (typeof module === 'object' && module.exports) {
    module.exports = api;
    return;
  }
  root.mlflowctlAuth = api.createAuth(api.browserEnv(root));
  root.mlflowctlAuth.start();
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  const SETTINGS_FILE = 'mlflowctl-auth.json';
  const COOKIE_NAME = 'mlflow-request-header-Authorization';
  const KEY_TOKENS = 'mlflowctl.auth.tokens';
  const KEY_PENDING = 'mlflowctl.auth.pending';
  const KEY_FAILURES = 'mlflowctl.auth.failures';
  // Tokens with less left than this are treated as expired at page load.
  const MIN_VALID_MS = 60 * 1000;
  // Refresh this long before expiry (or at half the remaining time if less).
  const REFRESH_EARLY_MS = 5 * 60 * 1000;
  // Automatic trips to the login page after failures, before asking the user.
  const MAX_AUTO_LOGINS = 2;

  function base64url(bytes) {
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function decodeBase64url(s) {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new TextDecoder().decode(bytes);
  }

  // PKCE (RFC 7636 §4.1, §4.2): the verifier is 32 random octets in
  // base64url (43 characters); the challenge is BASE64URL(SHA256(verifier)).
  async function pkcePair(randomBytes, subtle) {
    const verifier = base64url(randomBytes);
    const digest = await subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    return { verifier, challenge: base64url(new Uint8Array(digest)) };
  }

  function jwtClaims(token) {
    try {
      return JSON.parse(decodeBase64url(String(token).split('.')[1]));
    } catch (e) {
      return {};
    }
  }

  function checkSettings(s) {
    if (!s || typeof s !== 'object') throw new Error(SETTINGS_FILE + ' is not a JSON object');
    for (const k of ['region', 'userPoolId', 'clientId', 'domain', 'redirectUri']) {
      if (typeof s[k] !== 'string' || s[k] === '') throw new Error(SETTINGS_FILE + ': "' + k + '" is missing');
    }
    const tokenUse = s.tokenUse || 'access';
    if (tokenUse !== 'access' && tokenUse !== 'id') {
      throw new Error(SETTINGS_FILE + ': "tokenUse" must be "access" or "id"');
    }
    const domain = /^https?:\/\//.test(s.domain) ? s.domain : 'https://' + s.domain;
    return {
      region: s.region,
      userPoolId: s.userPoolId,
      clientId: s.clientId,
      domain: domain.replace(/\/+$/, ''),
      redirectUri: s.redirectUri,
      logoutUri: s.logoutUri || s.redirectUri,
      tokenUse,
      scopes: Array.isArray(s.scopes) && s.scopes.length ? s.scopes : ['openid', 'email', 'profile'],
    };
  }

  function createAuth(env) {
    let settingsPromise = null;
    let refreshTimer = null;

    function loadSettings() {
      if (!settingsPromise) {
        settingsPromise = env
          .fetch(env.settingsUrl, { cache: 'no-store', credentials: 'same-origin' })
          .then((r) => {
            if (!r.ok) throw new Error(SETTINGS_FILE + ' could not be loaded (HTTP ' + r.status + ')');
            return r.json();
          })
          .then(checkSettings);
        settingsPromise.catch(() => {
          settingsPromise = null;
        });
      }
      return settingsPromise;
    }

    function readJSON(key) {
      try {
        return JSON.parse(env.storage.getItem(key) || 'null');
      } catch (e) {
        return null;
      }
    }

    function failures() {
      return Number(env.storage.getItem(KEY_FAILURES) || 0);
    }

    function cookieFor(tokens) {
      return (
        COOKIE_NAME + '=' + encodeURIComponent('Bearer ' + tokens.token) +
        '; Path=/; Expires=' + new Date(tokens.expiresAt).toUTCString() + '; Secure; SameSite=Strict'
      );
    }

    function clearCookie() {
      env.document.cookie =
        COOKIE_NAME + '=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; SameSite=Strict';
    }

    // cookieToken is the token in the shared cookie ('' when none).
    function cookieToken() {
      for (const part of String(env.document.cookie || '').split(';')) {
        const i = part.indexOf('=');
        if (i > 0 && part.slice(0, i).trim() === COOKIE_NAME) {
          return decodeURIComponent(part.slice(i + 1).trim()).replace(/^Bearer /, '');
        }
      }
      return '';
    }

    // clearSession forgets this tab's session. The cookie is shared by
    // every tab of the site, so it is cleared only when it holds this
    // tab's token: a new tab (no session of its own) must not sign out
    // another tab whose token is still valid.
    function clearSession() {
      const mine = readJSON(KEY_TOKENS);
      env.storage.removeItem(KEY_TOKENS);
      env.storage.removeItem(KEY_PENDING);
      if (refreshTimer !== null) env.clearTimeout(refreshTimer);
      refreshTimer = null;
      if (mine && mine.token && cookieToken() === mine.token) clearCookie();
    }

    // tokensFrom turns a /oauth2/token response into what is stored; the
    // refresh grant returns no refresh token, so the old one is kept.
    function tokensFrom(body, settings, previous) {
      const token = settings.tokenUse === 'id' ? body.id_token : body.access_token;
      if (!token) throw new Error('the token endpoint returned no ' + settings.tokenUse + ' token');
      const claims = jwtClaims(token);
      const issuer = 'https://cognito-idp.' + settings.region + '.amazonaws.com/' + settings.userPoolId;
      if (claims.iss && claims.iss !== issuer) throw new Error('the token was issued by ' + claims.iss + ', not ' + issuer);
      // The lifetime (exp - iat) counts from now on the browser's clock, so
      // a skewed clock neither expires the cookie early nor refreshes late.
      const lifetime = claims.exp && claims.iat ? claims.exp - claims.iat : Number(body.expires_in || 0);
      const expiresAt = env.now() + lifetime * 1000;
      return {
        token,
        idToken: body.id_token || (previous && previous.idToken) || null,
        accessToken: body.access_token || (previous && previous.accessToken) || null,
        refreshToken: body.refresh_token || (previous && previous.refreshToken) || null,
        expiresAt,
      };
    }

    async function tokenRequest(settings, form) {
      const r = await env.fetch(settings.domain + '/oauth2/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
      let body = {};
      try {
        body = await r.json();
      } catch (e) {
        body = {};
      }
      if (!r.ok) throw new Error('token request failed: ' + (body.error || 'HTTP ' + r.status));
      return body;
    }

    function refreshDelay(tokens) {
      const left = tokens.expiresAt - env.now();
      return Math.max(0, left > 2 * REFRESH_EARLY_MS ? left - REFRESH_EARLY_MS : Math.floor(left / 2));
    }

    function applySession(tokens) {
      env.storage.setItem(KEY_TOKENS, JSON.stringify(tokens));
      env.document.cookie = cookieFor(tokens);
      if (refreshTimer !== null) env.clearTimeout(refreshTimer);
      refreshTimer = tokens.refreshToken ? env.setTimeout(refreshNow, refreshDelay(tokens)) : null;
    }

    async function refresh() {
      const current = readJSON(KEY_TOKENS);
      if (!current || !current.refreshToken) throw new Error('no refresh token');
      const settings = await loadSettings();
      const body = await tokenRequest(settings, {
        grant_type: 'refresh_token',
        client_id: settings.clientId,
        refresh_token: current.refreshToken,
      });
      const tokens = tokensFrom(body, settings, current);
      if (tokens.expiresAt - env.now() <= MIN_VALID_MS) throw new Error('the refreshed token is already expiring');
      applySession(tokens);
      return tokens;
    }

    // refreshNow runs from the timer: the page keeps working with the new
    // cookie; if the refresh fails, the user goes back to login.
    async function refreshNow() {
      refreshTimer = null;
      try {
        await refresh();
        return 'refreshed';
      } catch (e) {
        return fail(e);
      }
    }

    async function beginLogin(returnTo) {
      const settings = await loadSettings();
      const state = base64url(env.crypto.getRandomValues(new Uint8Array(16)));
      const { verifier, challenge } = await pkcePair(env.crypto.getRandomValues(new Uint8Array(32)), env.crypto.subtle);
      const back = returnTo || env.location.pathname + env.location.hash;
      env.storage.setItem(KEY_PENDING, JSON.stringify({ state, verifier, returnTo: back }));
      const q = new URLSearchParams({
        response_type: 'code',
        client_id: settings.clientId,
        redirect_uri: settings.redirectUri,
        scope: settings.scopes.join(' '),
        state,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      env.ui.hide();
      env.location.assign(settings.domain + '/oauth2/authorize?' + q.toString());
      return 'login';
    }

    // fail clears the session and sends the user to login, at most
    // MAX_AUTO_LOGINS times in a row; after that it asks, so a broken
    // setup never turns into a redirect loop.
    function fail(err, returnTo) {
      clearSession();
      const n = failures() + 1;
      env.storage.setItem(KEY_FAILURES, String(n));
      if (n <= MAX_AUTO_LOGINS) {
        return beginLogin(returnTo).catch((e) => stop(e, returnTo));
      }
      return stop(err, returnTo);
    }

    function stop(err, returnTo) {
      env.ui.show();
      env.ui.showError('Sign-in failed: ' + (err && err.message ? err.message : String(err)), () => {
        env.storage.removeItem(KEY_FAILURES);
        beginLogin(returnTo).catch((e) => stop(e, returnTo));
      });
      return 'error';
    }

    async function handleCallback(params) {
      const pending = readJSON(KEY_PENDING);
      env.storage.removeItem(KEY_PENDING);
      const returnTo = (pending && pending.returnTo) || '/';
      env.ui.hold();
      if (params.get('error')) {
        const why = params.get('error') + ': ' + (params.get('error_description') || '');
        return fail(new Error('Cognito returned ' + why), returnTo);
      }
      if (!pending || !params.get('state') || params.get('state') !== pending.state) {
        return fail(new Error('the sign-in response does not match this browser tab (state mismatch)'), returnTo);
      }
      try {
        const settings = await loadSettings();
        const body = await tokenRequest(settings, {
          grant_type: 'authorization_code',
          client_id: settings.clientId,
          code: params.get('code'),
          redirect_uri: settings.redirectUri,
          code_verifier: pending.verifier,
        });
        const tokens = tokensFrom(body, settings, null);
        if (tokens.expiresAt - env.now() <= MIN_VALID_MS) throw new Error('the new token is already expiring');
        applySession(tokens);
      } catch (e) {
        return fail(e, returnTo);
      }
      env.storage.removeItem(KEY_FAILURES);
      // The page was held (the React app never started); one navigation to
      // the clean URL (no ?code) starts it signed in.
      env.location.replace(returnTo);
      return 'signed-in';
    }

    async function start() {
      const params = new URLSearchParams(env.location.search);
      if (params.has('code') || params.has('error')) return handleCallback(params);
      env.ui.addSignOut(signOut);
      const tokens = readJSON(KEY_TOKENS);
      if (tokens && tokens.token && tokens.expiresAt - env.now() > MIN_VALID_MS) {
        applySession(tokens);
        env.storage.removeItem(KEY_FAILURES);
        return 'session';
      }
      if (tokens && tokens.refreshToken) {
        env.ui.hold();
        try {
          await refresh();
        } catch (e) {
          return fail(e);
        }
        env.location.replace(env.location.pathname + env.location.hash);
        return 'refreshed';
      }
      env.ui.hold();
      clearSession();
      return beginLogin().catch((e) => stop(e));
    }

    // signOut is explicit: it clears the shared cookie whoever set it.
    async function signOut() {
      clearSession();
      clearCookie();
      env.storage.removeItem(KEY_FAILURES);
      const settings = await loadSettings();
      const q = new URLSearchParams({ client_id: settings.clientId, logout_uri: settings.logoutUri });
      env.location.assign(settings.domain + '/logout?' + q.toString());
      return 'signed-out';
    }

    // A throttled background tab may miss the timer; check on return.
    function onVisible() {
      const tokens = readJSON(KEY_TOKENS);
      if (tokens && tokens.refreshToken && refreshDelay(tokens) === 0) refreshNow();
    }

    return { start, signOut, refreshNow, onVisible, loadSettings, cookieFor };
  }

  function browserUI(doc) {
    let held = false;
    function whenBody(fn) {
      if (doc.body) fn();
      else if (held) {
        // A held page stops parsing in <head>: make the body here.
        doc.documentElement.append(doc.createElement('body'));
        fn();
      } else doc.addEventListener('DOMContentLoaded', fn, { once: true });
    }
    return {
      hide() {
        doc.documentElement.style.visibility = 'hidden';
      },
      // hold hides the page and stops loading it, so the UI's bundle (a
      // deferred script after this one) never starts and sends no API call
      // without a token while the user is sent to sign in.
      hold() {
        held = true;
        doc.documentElement.style.visibility = 'hidden';
        if (doc.defaultView && typeof doc.defaultView.stop === 'function') doc.defaultView.stop();
      },
      show() {
        doc.documentElement.style.visibility = '';
      },
      showError(message, retry) {
        whenBody(() => {
          const box = doc.createElement('div');
          box.setAttribute('role', 'alert');
          box.style.cssText = 'position:fixed;inset:0;display:flex;flex-direction:column;align-items:center;' +
            'justify-content:center;gap:12px;background:#fff;font:16px sans-serif;z-index:2147483647';
          const text = doc.createElement('p');
          text.textContent = message;
          const button = doc.createElement('button');
          button.textContent = 'Sign in again';
          button.addEventListener('click', retry);
          box.append(text, button);
          doc.body.append(box);
        });
      },
      addSignOut(onClick) {
        whenBody(() => {
          const button = doc.createElement('button');
          button.id = 'mlflowctl-sign-out';
          button.textContent = 'Sign out';
          button.style.cssText = 'position:fixed;right:12px;bottom:12px;z-index:2147483646;padding:4px 10px;' +
            'font:13px sans-serif;border:1px solid #ccc;border-radius:4px;background:#fff;cursor:pointer';
          button.addEventListener('click', () => onClick());
          doc.body.append(button);
        });
      },
    };
  }

  function browserEnv(win) {
    const doc = win.document;
    const script = doc.currentScript;
    const env = {
      location: win.location,
      document: doc,
      storage: win.sessionStorage,
      fetch: win.fetch.bind(win),
      crypto: win.crypto,
      now: () => Date.now(),
      setTimeout: win.setTimeout.bind(win),
      clearTimeout: win.clearTimeout.bind(win),
      settingsUrl: new URL(SETTINGS_FILE, script && script.src ? script.src : win.location.href).href,
      ui: browserUI(doc),
    };
    doc.addEventListener('visibilitychange', () => {
      if (doc.visibilityState === 'visible' && win.mlflowctlAuth) win.mlflowctlAuth.onVisible();
    });
    return env;
  }

  return {
    createAuth,
    browserEnv,
    pkcePair,
    base64url,
    jwtClaims,
    checkSettings,
    SETTINGS_FILE,
    COOKIE_NAME,
    REFRESH_EARLY_MS,
    MIN_VALID_MS,
    MAX_AUTO_LOGINS,
  };
});
