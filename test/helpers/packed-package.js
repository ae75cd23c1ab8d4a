'use strict';
// What the e2e tests install: the package exactly as `npm publish` would ship it (one tarball per test run,
// shared by every suite), and the Node-RED releases users run it on.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runNpm } = require('./nodered-process');

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

let packed;
// npm pack of the working tree as built by `npm test`'s pretest (npm run build); resolves to
// { tarball, files: [paths inside the package] }.
function packOnce() {
  if (!packed) {
    packed = (async () => {
      if (!fs.existsSync(path.join(root, 'dist'))) throw new Error('no dist/: run npm run build first');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oscflow-pack-'));
      process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
      const { stdout } = await runNpm(['pack', '--json', '--pack-destination', dir], { cwd: root });
      // Lifecycle scripts may print to stdout before the JSON; npm starts it with a line holding only '['.
      const start = stdout.search(/^\[\s*$/m);
      const info = JSON.parse(stdout.slice(Math.max(0, start)))[0];
      return { tarball: path.join(dir, info.filename), files: info.files.map((f) => f.path), info };
    })();
  }
  return packed;
}

// Node-RED 4.1 is our devDependency and runs on this Node.js.
function nodeRed4() {
  const redJs = require.resolve('node-red/red.js', { paths: [root] });
  const version = JSON.parse(fs.readFileSync(path.join(path.dirname(redJs), 'package.json'), 'utf8')).version;
  return { redJs, nodeBin: process.execPath, version };
}

function atLeast(version, [maj, min]) {
  const [a, b] = version.replace(/^v/, '').split('.').map(Number);
  return a > maj || (a === maj && b >= min);
}

// Node-RED 5 needs Node.js >= 22.9. Both come from the npm registry (node-<platform>-<arch> ships the node
// binary as a package) into a cache that later runs reuse; installed beside and renamed into place, so two
// test runs at once never see a half-installed cache.
async function nodeRed5({ cacheRoot = path.join(root, 'node_modules', '.cache', 'oscflow-e2e') } = {}) {
  const needNode = !atLeast(process.versions.node, [22, 9]);
  const nodePkg = `node-${process.platform}-${process.arch}`;
  const dir = path.join(cacheRoot, `node-red-5-${process.platform}-${process.arch}`);
  const describe = (base) => {
    const redJs = path.join(base, 'node_modules', 'node-red', 'red.js');
    const nodeBin = needNode ? path.join(base, 'node_modules', nodePkg, 'bin', 'node') : process.execPath;
    if (!fs.existsSync(redJs) || !fs.existsSync(nodeBin)) return undefined;
    const version = JSON.parse(
      fs.readFileSync(path.join(base, 'node_modules', 'node-red', 'package.json'), 'utf8'),
    ).version;
    return version.startsWith('5.') ? { redJs, nodeBin, version, cached: base === dir } : undefined;
  };
  const cached = describe(dir);
  if (cached) return cached;
  fs.mkdirSync(cacheRoot, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheRoot, 'installing-'));
  try {
    fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ private: true }));
    await runNpm(
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--no-update-notifier',
        '--prefix',
        tmp,
        ...(needNode ? [`${nodePkg}@22`] : []),
        'node-red@5',
      ],
      { cwd: tmp, timeout: 300000 },
    );
    if (!describe(dir)) {
      try {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.renameSync(tmp, dir);
      } catch {
        /* another run renamed its copy first: use that one */
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const installed = describe(dir);
  if (!installed) throw new Error(`Node-RED 5 not usable after installing into ${dir}`);
  return installed;
}

module.exports = { root, pkg, packOnce, nodeRed4, nodeRed5 };

// A fresh user directory and Node-RED running on it with our tarball installed: { nr, installedDir, runtime }.
// via 'npm': installed before the start with the palette manager's npm command (what a restart picks up);
// via 'upload': uploaded to the running Node-RED through the palette manager's API, loaded without a restart.
async function installAndStart(runtime, { via = 'npm' } = {}) {
  const { makeUserDir, installIntoUserDir, startNodeRed } = require('./nodered-process');
  const { tarball } = await packOnce();
  const userDir = makeUserDir(`oscflow-e2e-nr${runtime.version.split('.')[0]}-`);
  if (via === 'npm') await installIntoUserDir(userDir, tarball, { nodeBin: runtime.nodeBin });
  const nr = await startNodeRed({ redJs: runtime.redJs, nodeBin: runtime.nodeBin, userDir });
  if (via === 'upload') {
    try {
      const info = await nr.uploadModule(tarball);
      if (info.name !== pkg.name) throw new Error(`the upload installed ${info.name}, not ${pkg.name}`);
    } catch (e) {
      await nr.stop({ removeUserDir: false });
      throw e;
    }
  }
  return { nr, installedDir: path.join(userDir, 'node_modules', ...pkg.name.split('/')), runtime };
}

module.exports.installAndStart = installAndStart;
