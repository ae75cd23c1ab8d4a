'use strict';
// Node-RED 5 on Node.js 22 (both fetched once from the npm registry into node_modules/.cache), started
// empty; the packed tarball is then uploaded through the palette manager ("Upload module tgz file"), which
// installs it with npm and loads it into the running runtime. Checked through the admin API, then used in
// the editor in headless Chromium, like on Node-RED 4 (where it is installed before the start).
const { nodeRed5, installAndStart } = require('../helpers/packed-package');
const { describeInstalledPackage } = require('../helpers/installed-checks');
const { describeEditor } = require('../helpers/editor-scenario');
const { describeFirstHour } = require('../helpers/first-hour-scenario');
const { describeMonitor } = require('../helpers/monitor-scenario');
const { describeLearn } = require('../helpers/learn-scenario');
const { describeOscQueryTree } = require('../helpers/oscquery-scenario');

describe('e2e: palette install on Node-RED 5', function () {
  // The first run downloads Node.js 22 and Node-RED 5 into the cache.
  this.timeout(420000);
  let state;
  before(async function () {
    state = await installAndStart(await nodeRed5(), { via: 'upload' });
  });
  after(async () => {
    if (state) await state.nr.stop();
  });

  describeInstalledPackage(() => state);
  describeEditor(() => state, 'nr5');
  describeFirstHour(() => state, 'nr5');
  describeMonitor(() => state, 'nr5');
  describeLearn(() => state, 'nr5');
  describeOscQueryTree(() => state, 'nr5');
});
