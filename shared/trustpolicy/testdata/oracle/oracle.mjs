// Test-only oracle: evaluates trust-policy requests with @cloud-copilot/iam-simulate
// (AGPL-3.0, a devDependency of this directory only; never part of shipped code).
// stdin:  {"role": ARN, "account": ID, "cases": [{"policy": {...}, "requests": [{"principal", "action", "context"}]}]}
// stdout: [[result, ...], ...] with result "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "error: ..."
import { runSimulation } from '@cloud-copilot/iam-simulate';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
// An identity policy that allows everything, so the answer is the trust policy's alone.
const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const out = [];
for (const c of input.cases) {
  const results = [];
  for (const r of c.requests) {
    try {
      const sim = await runSimulation({
        request: {
          principal: r.principal,
          action: r.action,
          resource: { resource: input.role, accountId: input.account },
          contextVariables: r.context || {},
        },
        identityPolicies: [{ name: 'allow-all', policy: allowAll }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: c.policy,
      }, {});
      if (sim.resultType !== 'single') {
        results.push('error: ' + JSON.stringify(sim.errors ?? sim).slice(0, 300));
      } else {
        results.push(sim.result.analysis.result);
      }
    } catch (e) {
      results.push('error: ' + String(e).slice(0, 300));
    }
  }
  out.push(results);
}
process.stdout.write(JSON.stringify(out));
