'use strict';
// The tarball users download: everything Node-RED and `require('@oscflow/node-red-osc/codec')` need, and
// nothing of the development tree (sources, tests, benchmarks, local Node-RED data, source maps).
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pkg, packOnce } = require('../helpers/packed-package');
const { expected, exportedNames } = require('../helpers/public-api');

describe('e2e: the packed package (npm pack)', function () {
  this.timeout(120000);
  let files;
  let tarball;
  before(async () => { ({ files, tarball } = await packOnce()); });

  it('leaves the development tree out', () => {
    const unwanted = files.filter((f) =>
      /^(test|src|bench|scripts|docs|\.ci|\.node-red|node_modules|test-artifacts)\//.test(f) ||
      /\.(map|tgz|tsbuildinfo)$/.test(f) || (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) ||
      /^(tsconfig\.json|\.mocharc\.json|\.gitignore|package-lock\.json)$/.test(f));
    assert.deepEqual(unwanted, []);
  });

  it('holds README, LICENSE, package.json and every example', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE']) assert.ok(files.includes(f), `${f} missing`);
    assert.ok(files.some((f) => /^examples\/[^/]+\.json$/.test(f)), 'no examples/*.json');
  });

  it('holds each node set with its HTML, en-US messages and help beside it', () => {
    for (const [set, js] of Object.entries(pkg['node-red'].nodes)) {
      const dir = path.posix.dirname(js);
      const base = path.posix.basename(js, '.js');
      for (const f of [js, `${dir}/${base}.html`, `${dir}/locales/en-US/${base}.json`, `${dir}/locales/en-US/${base}.html`]) {
        assert.ok(files.includes(f), `${set}: ${f} missing from the tarball`);
      }
    }
    assert.ok(files.some((f) => /^dist\/nodes\/icons\/.+\.svg$/.test(f)), 'no icons beside the node files');
  });

  it('holds the target of every package export, with its types', () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const targets = typeof target === 'string' ? [target] : Object.values(target);
      for (const t of targets) assert.ok(files.includes(t.replace(/^\.\//, '')), `export ${subpath}: ${t} missing`);
    }
  });

  it('exports the public API at each entry of the unpacked tarball, by the package name', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oscflow-unpacked-'));
    try {
      const installed = path.join(dir, 'node_modules', ...pkg.name.split('/'));
      fs.mkdirSync(installed, { recursive: true });
      execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
      const got = await exportedNames(installed);
      assert.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort(), 'the package entries');
      for (const [subpath, want] of Object.entries(expected)) {
        const name = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
        const target = path.join(installed, pkg.exports[subpath].default);
        // From a process of its own in dir: in this one, the name would resolve to the work tree's own package.
        const resolved = execFileSync(process.execPath, ['-p', `require.resolve(${JSON.stringify(name)})`], { cwd: dir });
        assert.equal(fs.realpathSync(resolved.toString().trim()), fs.realpathSync(target), `${name} resolves to its entry`);
        assert.deepEqual(got[subpath].values, want.values, `${name}: require()`);
        assert.deepEqual(got[subpath].esm, want.values, `${name}: import`);
        assert.deepEqual(got[subpath].declared, want.values, `${name}: values in the declarations`);
        assert.deepEqual(got[subpath].types, want.types, `${name}: types in the declarations`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
