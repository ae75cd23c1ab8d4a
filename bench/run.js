'use strict';
// `npm run bench`: runs every bench/*.bench.js in turn, in this one process, so that our code and the peers
// are measured side by side under the same conditions. Pass names to run only some: `node bench/run.js codec`.
// --alt <dir> adds the column "alt": the same package from another checkout (its package.json and built dist/),
// e.g. main before a change, measured in the same rounds as ours: `node bench/run.js --alt ../main`.
// --rounds N measures in N interleaved rounds instead of the default few: more is steadier on a busy machine.
const fs = require('node:fs');
const path = require('node:path');

async function main() {
  const only = [];
  const options = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--alt') {
      options.alt = path.resolve(argv[++i] ?? '');
      if (!fs.existsSync(path.join(options.alt, 'package.json')))
        throw new Error(`--alt ${options.alt}: no package.json there`);
    } else if (argv[i] === '--rounds') {
      options.rounds = Number(argv[++i]);
      if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new Error('--rounds needs a positive integer');
    } else if (argv[i].startsWith('--')) {
      throw new Error(`unknown option ${argv[i]}`);
    } else {
      only.push(argv[i]);
    }
  }
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.js'))
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
    .sort();
  for (const f of files) {
    const mod = require(path.join(__dirname, f));
    await mod.run(options);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
