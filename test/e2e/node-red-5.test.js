'use strict';
// Installed from the packed tarball into Node-RED 5 on Node.js 22 (both fetched once from the npm registry
// into node_modules/.cache), as the palette manager installs it; then checked through the admin API.
const { nodeRed5, installAndStart } = require('../helpers/packed-package');
const { describeInstalledPackage } = require('../helpers/installed-checks');

describe('e2e: palette install on Node-RED 5', function () {
  this.timeout(420000);
  let state;
  before(async function () {
    state = await installAndStart(await nodeRed5());
  });
  after(async () => { if (state) await state.nr.stop(); });

  describeInstalledPackage(() => state);
});
