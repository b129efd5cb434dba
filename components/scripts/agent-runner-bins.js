// Links a package's `bin` entries (package.json, a string or a name -> file map, as npm
// reads them) into a directory as relative symlinks, so the runner's commands are on PATH
// and the install directory can be moved into place after linking. Reads JSON with a JSON
// parser, never with shell text tools.
'use strict';
const fs = require('fs');
const path = require('path');

const [pkgDir, binDir] = process.argv.slice(2);
if (!pkgDir || !binDir) {
  console.error('usage: agent-runner-bins.js <package dir> <bin dir>');
  process.exit(2);
}
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
let bins = pkg.bin;
if (typeof bins === 'string') {
  bins = { [String(pkg.name || '').replace(/^@[^/]+\//, '')]: bins };
}
if (!bins || typeof bins !== 'object' || Object.keys(bins).length === 0) {
  console.error(`install-runner: ${path.join(pkgDir, 'package.json')} declares no "bin": nothing to run`);
  process.exit(1);
}
fs.mkdirSync(binDir, { recursive: true });
for (const [name, rel] of Object.entries(bins)) {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    console.error(`install-runner: refusing bin name ${JSON.stringify(name)}`);
    process.exit(1);
  }
  const target = path.resolve(pkgDir, rel);
  if (!target.startsWith(path.resolve(pkgDir) + path.sep)) {
    console.error(`install-runner: bin ${name} points outside the package: ${rel}`);
    process.exit(1);
  }
  fs.accessSync(target, fs.constants.R_OK);
  fs.chmodSync(target, 0o755);
  fs.symlinkSync(path.relative(binDir, target), path.join(binDir, name));
  console.log(`install-runner: bin ${name} -> ${path.relative(pkgDir, target)}`);
}
