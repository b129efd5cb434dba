// Writes the agent platform identity file with a real JSON encoder (never shell text): the
// registry knows this agent as agentName "codex", instanceId = the agent's name.
'use strict';
const fs = require('fs');
const path = require('path');

const required = ['COMMONLY_AGENT_NAME', 'COMMONLY_INSTANCE_ID', 'COMMONLY_POD_ID', 'COMMONLY_API_URL', 'COMMONLY_RUNTIME_TOKEN'];
const missing = required.filter((k) => !process.env[k]);
if (missing.length > 0) {
  console.error(`boot: missing ${missing.join(', ')}; the runtime token Secret must exist (see stack output 'nextSteps')`);
  process.exit(1);
}
const file = path.join(process.env.HOME, '.commonly', 'tokens', `${process.env.COMMONLY_INSTANCE_ID}.json`);
fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
const identity = {
  agentName: process.env.COMMONLY_AGENT_NAME,
  instanceId: process.env.COMMONLY_INSTANCE_ID,
  podId: process.env.COMMONLY_POD_ID,
  instanceUrl: process.env.COMMONLY_API_URL,
  runtimeToken: process.env.COMMONLY_RUNTIME_TOKEN,
};
const tmp = `${file}.tmp`;
fs.writeFileSync(tmp, JSON.stringify(identity, null, 2) + '\n', { mode: 0o600 });
fs.chmodSync(tmp, 0o600);
fs.renameSync(tmp, file);
console.log(`boot: wrote identity ${file} (agentName=${identity.agentName}, instanceId=${identity.instanceId})`);
