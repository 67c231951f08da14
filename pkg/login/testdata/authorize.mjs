// Test driver for pkg/login's token-path test: the project's real Lambda
// authorizer (templates/authorizer/authorizer.mjs) answering REQUEST events
// as API Gateway would send them, one JSON line in, one JSON line out:
// {answer} or {error}. argv[2] is {userPoolId, appClientId, tokenUse,
// jwksUrl, policy}; AUTH_SOURCES comes from the environment, as the api
// stack sets it on the function.
import { createInterface } from 'node:readline';
import { createAuthorizer } from '../../../templates/authorizer/authorizer.mjs';

const conf = JSON.parse(process.argv[2]);
// The raw JSON text, as index.mjs passes it (issue 17's authorizer parses
// it; an authorizer without AUTH_SOURCES ignores the option).
const authSources = process.env.AUTH_SOURCES;
const handler = createAuthorizer({
  userPoolId: conf.userPoolId,
  appClientId: conf.appClientId,
  tokenUse: conf.tokenUse,
  jwksUrl: conf.jwksUrl,
  policy: conf.policy,
  authSources,
  log: (entry) => process.stderr.write(`${JSON.stringify(entry)}\n`),
});
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  let out;
  try {
    out = { answer: await handler(JSON.parse(line)) };
  } catch (err) {
    out = { error: err.message };
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
