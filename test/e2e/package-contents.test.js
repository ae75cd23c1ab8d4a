'use strict';
// The tarball users download: everything Node-RED and `require('@oscflow/node-red-osc/codec')` need, and
// nothing of the development tree (sources, tests, benchmarks, local Node-RED data, source maps).
const assert = require('node:assert/strict');
const path = require('node:path');
const { pkg, packOnce } = require('../helpers/packed-package');

describe('e2e: the packed package (npm pack)', function () {
  this.timeout(120000);
  let files;
  before(async () => { ({ files } = await packOnce()); });

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
});
