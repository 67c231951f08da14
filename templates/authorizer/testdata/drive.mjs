// Test driver for pkg/authz's moto integration test: runs the real handler
// against a live JWKS (moto's) with the test-only JWKS URL. Reads
// {userPoolId, appClientId, tokenUse, jwksUrl, sources, events} as JSON on stdin and
// prints one answer per event: {answer} or {error}.
import { readFileSync } from 'node:fs';
import { createAuthorizer } from '../authorizer.mjs';

const input = JSON.parse(readFileSync(0, 'utf8'));
const policy = JSON.parse(readFileSync(new URL('../policy.json', import.meta.url), 'utf8'));
const handler = createAuthorizer({
  userPoolId: input.userPoolId,
  appClientId: input.appClientId,
  tokenUse: input.tokenUse,
  jwksUrl: input.jwksUrl,
  sources: input.sources,
  policy,
  log: (entry) => process.stderr.write(`${JSON.stringify(entry)}\n`),
});
const out = [];
for (const ev of input.events) {
  try {
    out.push({ answer: await handler(ev) });
  } catch (err) {
    out.push({ error: err.message });
  }
}
process.stdout.write(JSON.stringify(out));
