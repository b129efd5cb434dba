// Writes the agent platform CLI's two files on every boot: ~/.commonly/tokens/<name>.json
// and ~/.commonly/config.json. Their shape is rendered by the Pulumi program (encoding/json,
// components/agent_platform_files.go) into the config ConfigMap without secrets; this step
// only fills in the runtime token (from its Secret) and savedAt, and writes each file
// atomically with mode 0600. No shell ever expands their text.
'use strict';
const fs = require('fs');
const path = require('path');

const configDir = process.env.CLOUD_CODEX_CONFIG_DIR || '/etc/cloud-codex/config';
const name = process.env.COMMONLY_INSTANCE_ID;
const token = process.env.COMMONLY_RUNTIME_TOKEN;
if (!name || !token) {
  console.error("boot: COMMONLY_INSTANCE_ID or COMMONLY_RUNTIME_TOKEN is empty; the runtime token Secret must exist (see stack output 'nextSteps')");
  process.exit(1);
}

function readTemplate(file) {
  return JSON.parse(fs.readFileSync(path.join(configDir, file), 'utf8'));
}

function writePrivate(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

const home = process.env.HOME;
const identity = readTemplate('commonly-identity.json');
if (identity.instanceId !== name) {
  console.error(`boot: the rendered token file is for instance ${identity.instanceId}, this pod is ${name}`);
  process.exit(1);
}
identity.runtimeToken = token;
identity.savedAt = new Date().toISOString();
const tokenFile = path.join(home, '.commonly', 'tokens', `${name}.json`);
writePrivate(tokenFile, identity);

const config = readTemplate('commonly-config.json');
const active = config.instances && config.instances[config.active];
if (!active || !active.agentTokens || !(name in active.agentTokens)) {
  console.error(`boot: the rendered config.json has no active instance with agent ${name}`);
  process.exit(1);
}
active.agentTokens[name] = token;
writePrivate(path.join(home, '.commonly', 'config.json'), config);

console.log(`boot: wrote ${tokenFile} and ~/.commonly/config.json (agentName=${identity.agentName}, instanceId=${name}, adapter=${identity.adapter}, instance ${identity.instanceUrl})`);
