// Test-only stand-in for the MLflow UI bundle (static-files/static/js/main.*.js).
// It does what the real UI does with request-header cookies, per
// mlflow/server/js/src/common/utils/FetchUtils.ts (2.12.2 through 3.x):
// getDefaultHeadersFromCookies(document.cookie) turns every cookie named
// mlflow-request-header-<Name> into a request header <Name> (the `cookie`
// package's parse: split on ';', trim, decodeURIComponent the value), and
// fetchEndpointRaw sends { 'Content-Type': ..., ...getDefaultHeaders(document.cookie) }.
(function () {
  'use strict';
  var headerCookiePrefix = 'mlflow-request-header-';

  function parseCookie(str) {
    var out = {};
    str.split(';').forEach(function (pair) {
      var i = pair.indexOf('=');
      if (i < 0) return;
      var name = pair.slice(0, i).trim();
      var value = pair.slice(i + 1).trim();
      if (value[0] === '"') value = value.slice(1, -1);
      if (!(name in out)) out[name] = value.indexOf('%') >= 0 ? decodeURIComponent(value) : value;
    });
    return out;
  }

  function getDefaultHeadersFromCookies(cookieStr) {
    var parsed = parseCookie(cookieStr);
    var headers = {};
    Object.keys(parsed)
      .filter(function (name) {
        return name.indexOf(headerCookiePrefix) === 0;
      })
      .forEach(function (name) {
        headers[name.substring(headerCookiePrefix.length)] = parsed[name];
      });
    return headers;
  }

  var headers = Object.assign({ 'Content-Type': 'application/json; charset=utf-8' }, getDefaultHeadersFromCookies(document.cookie));
  // `route` is for the test only: it shows the login returned to the route.
  var url = 'ajax-api/2.0/mlflow/experiments/search?max_results=10&route=' + encodeURIComponent(location.hash);
  fetch(url, { headers: headers }).then(function (r) {
    document.getElementById('root').textContent = 'experiments: HTTP ' + r.status + ' ' + location.hash;
  });
})();
