'use strict';
const assert = require('node:assert/strict');
const pkg = require('../package.json');

describe('package.json', () => {
  it('is a scoped Node-RED package with no runtime dependencies', () => {
    assert.equal(pkg.name, '@oscflow/node-red-osc');
    assert.ok(pkg.keywords.includes('node-red') && pkg.keywords.includes('osc'));
    assert.deepEqual(Object.keys(/** @type {{ dependencies?: object }} */ (pkg).dependencies || {}), []);
  });
});
