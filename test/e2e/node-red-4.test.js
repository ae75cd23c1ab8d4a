'use strict';
// Installed from the packed tarball into Node-RED 4.1 (our devDependency, this Node.js), as the palette
// manager installs it; checked through the admin API, then used in the editor in headless Chromium.
const { nodeRed4, installAndStart } = require('../helpers/packed-package');
const { describeInstalledPackage } = require('../helpers/installed-checks');
const { describeEditor } = require('../helpers/editor-scenario');
const { describeFirstHour } = require('../helpers/first-hour-scenario');
const { describeMonitor } = require('../helpers/monitor-scenario');
const { describeLearn } = require('../helpers/learn-scenario');
const { describeOscQueryTree } = require('../helpers/oscquery-scenario');

describe('e2e: palette install on Node-RED 4', function () {
  this.timeout(180000);
  let state;
  before(async function () {
    state = await installAndStart(nodeRed4());
  });
  after(async () => {
    if (state) await state.nr.stop();
  });

  describeInstalledPackage(() => state);
  describeEditor(() => state, 'nr4');
  describeFirstHour(() => state, 'nr4');
  describeMonitor(() => state, 'nr4');
  describeLearn(() => state, 'nr4');
  describeOscQueryTree(() => state, 'nr4');
});
