// Benchmark of the authorizer handler with a warm JWKS cache: decisions per
// second and per-decision latency (p50/p99). Not a test: run it by hand,
//   node templates/authorizer/bench.mjs [decisions]
// It signs a few tokens up front (RS256, 2048-bit, like Cognito), then times
// the handler on them round-robin: parse, verify signature and claims,
// build the policy of the user's groups.
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createAuthorizer } from './authorizer.mjs';

const n = Number(process.argv[2] || 20000);
const policy = JSON.parse(readFileSync(new URL('./policy.json', import.meta.url), 'utf8'));
const pool = 'us-east-1_Bench0001';
const issuer = `https://cognito-idp.us-east-1.amazonaws.com/${pool}`;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
const now = Math.floor(Date.now() / 1000);

const groupSets = [['admins'], ['readers'], ['model-approvers'], ['readers', 'model-approvers'], ['nobody']];
const requests = ['GET/ajax-api/2.0/mlflow/experiments/get', 'POST/ajax-api/2.0/mlflow/runs/search',
  'PATCH/ajax-api/2.0/mlflow/model-versions/update', 'GET/get-artifact', 'POST/ajax-api/2.0/mlflow/runs/create'];
const events = groupSets.map((groups, i) => {
  const h = b64({ alg: 'RS256', kid: 'k1' });
  const p = b64({ iss: issuer, token_use: 'access', client_id: 'c', username: `u${i}`, 'cognito:groups': groups, iat: now, exp: now + 3600 });
  const token = `${h}.${p}.${sign('RSA-SHA256', Buffer.from(`${h}.${p}`), privateKey).toString('base64url')}`;
  return {
    methodArn: `arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/${requests[i]}`,
    resource: '/{proxy+}',
    headers: { Cookie: `theme=dark; mlflow-request-header-Authorization=${encodeURIComponent(`Bearer ${token}`)}` },
  };
});

const handler = createAuthorizer({
  userPoolId: pool, appClientId: 'c', policy, log: () => {},
  sources: '[{"prefix":"/","source":"cookie:mlflow-request-header-Authorization"}]',
  fetchImpl: async () => ({ ok: true, json: async () => ({ keys: [jwk] }) }),
});
for (const ev of events) await handler(ev); // warm the JWKS cache and the JIT

const times = new Float64Array(n);
const start = performance.now();
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  await handler(events[i % events.length]);
  times[i] = performance.now() - t0;
}
const total = performance.now() - start;
times.sort();
const pct = (q) => times[Math.min(n - 1, Math.floor(q * n))].toFixed(3);
console.log(JSON.stringify({
  node: process.version, decisions: n, seconds: +(total / 1000).toFixed(3),
  decisionsPerSecond: Math.round(n / (total / 1000)), p50ms: +pct(0.5), p99ms: +pct(0.99),
}));
