'use strict';
// `npm run bench`: runs every bench/*.bench.js in turn, in this one process, so that our code and the peers
// are measured side by side under the same conditions. Pass names to run only some: `node bench/run.js codec`.
const fs = require('node:fs');
const path = require('node:path');

async function main() {
  const only = process.argv.slice(2);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.js'))
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
    .sort();
  for (const f of files) {
    const mod = require(path.join(__dirname, f));
    await mod.run();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
