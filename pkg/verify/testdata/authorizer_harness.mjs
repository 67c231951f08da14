// Test harness: runs the project's real Lambda authorizer
// (templates/authorizer/authorizer.mjs) behind a loopback HTTP port, the
// way API Gateway invokes it: POST an authorizer event, get the answer.
//
//   env AUTHORIZER_MODULE  file URL of authorizer.mjs
//       USER_POOL_ID, APP_CLIENT_ID, JWKS_URL (moto's JWKS for the pool)
//       POLICY_FILE        the policy.json pkg/authz generates
//       AUTH_SOURCES       the identity sources (read by the authorizer)
//
// PUT /policy (a policy.json body) and PUT /broken ("1" or "0") change the
// function under test for a fault: another policy, or an answer without
// its policy document.
import http from 'node:http';
import { readFileSync } from 'node:fs';

const { createAuthorizer } = await import(process.env.AUTHORIZER_MODULE);
let broken = false;
let handler = make(readFileSync(process.env.POLICY_FILE, 'utf8'));

function make(policyText) {
  return createAuthorizer({
    userPoolId: process.env.USER_POOL_ID,
    appClientId: process.env.APP_CLIENT_ID,
    tokenUse: 'access',
    policy: JSON.parse(policyText),
    jwksUrl: process.env.JWKS_URL,
    sources: process.env.AUTH_SOURCES,
    log: (e) => process.stderr.write(JSON.stringify(e) + '\n'),
  });
}

function body(req) {
  return new Promise((resolve) => {
    let s = '';
    req.on('data', (c) => (s += c));
    req.on('end', () => resolve(s));
  });
}

const server = http.createServer(async (req, res) => {
  const text = await body(req);
  if (req.method === 'PUT' && req.url === '/policy') {
    handler = make(text);
    return res.end('ok');
  }
  if (req.method === 'PUT' && req.url === '/broken') {
    broken = text.trim() === '1';
    return res.end('ok');
  }
  try {
    let answer = await handler(JSON.parse(text));
    if (broken) answer = { principalId: answer.principalId };
    res.end(JSON.stringify({ answer }));
  } catch (err) {
    res.end(JSON.stringify({ error: String(err && err.message) }));
  }
});
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
