'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const pkg = require('../package.json');
const { expected, exportedNames } = require('./helpers/public-api');

describe('package.json', () => {
  it("is a scoped Node-RED package whose one runtime dependency is ws (OSCQuery's WebSocket), with none of its own", () => {
    assert.equal(pkg.name, '@oscflow/node-red-osc');
    assert.ok(pkg.keywords.includes('node-red') && pkg.keywords.includes('osc'));
    assert.deepEqual(Object.keys(/** @type {{ dependencies?: object }} */ (pkg).dependencies || {}), ['ws']);
    // Pure JavaScript and nothing pulled in behind it: no dependencies, no install scripts.
    const ws = /** @type {{ dependencies?: object, scripts?: Record<string, string> }} */ (require('ws/package.json'));
    assert.deepEqual(Object.keys(ws.dependencies || {}), []);
    assert.equal(ws.scripts && (ws.scripts.install || ws.scripts.postinstall || ws.scripts.preinstall), undefined);
  });

  it('exports the public API at each entry, to require(), import and TypeScript alike', async function () {
    this.timeout(60000);
    const got = await exportedNames(path.resolve(__dirname, '..'));
    assert.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort(), 'the package entries');
    assert.equal(pkg.main, pkg.exports['.'].default.replace(/^\.\//, ''), 'main is the "." entry');
    assert.equal(pkg.types, pkg.exports['.'].types.replace(/^\.\//, ''), 'types is the "." entry');
    for (const [subpath, want] of Object.entries(expected)) {
      assert.deepEqual(got[subpath].values, want.values, `${subpath}: require()`);
      assert.deepEqual(got[subpath].esm, want.values, `${subpath}: import`);
      assert.deepEqual(got[subpath].declared, want.values, `${subpath}: values in the declarations`);
      assert.deepEqual(got[subpath].types, want.types, `${subpath}: types in the declarations`);
    }
  });
});
