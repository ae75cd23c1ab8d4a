'use strict';
// Installed from the packed tarball into Node-RED 5 on Node.js 22 (both fetched once from the npm registry
// into node_modules/.cache), as the palette manager installs it; checked through the admin API, then used
// in the editor in headless Chromium, like on Node-RED 4.
const { nodeRed5, installAndStart } = require('../helpers/packed-package');
const { describeInstalledPackage } = require('../helpers/installed-checks');
const { describeEditor } = require('../helpers/editor-scenario');

describe('e2e: palette install on Node-RED 5', function () {
  // The first run downloads Node.js 22 and Node-RED 5 into the cache.
  this.timeout(420000);
  let state;
  before(async function () {
    state = await installAndStart(await nodeRed5());
  });
  after(async () => { if (state) await state.nr.stop(); });

  describeInstalledPackage(() => state);
  describeEditor(() => state, 'nr5');
});
