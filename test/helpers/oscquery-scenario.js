'use strict';
// Issue 17 in the editor, in headless Chromium against the installed package: an OSCQuery device (the `oscquery`
// npm package's server) opened as a tree from a typed host:port, an address picked into osc out (with the
// msg.types it declares) and several into osc route's rules. `state()` is { nr, installedDir } from
// installAndStart().
const assert = require('node:assert/strict');
const { OSCQueryServer, OSCTypeSimple, OSCQAccess } = require('oscquery');
const { findChromium, launch } = require('./browser');
const { editorPage, closeTrays } = require('./editor-page');
const { freeTcpPort } = require('./net');

function describeOscQueryTree(getState, tag) {
  describe(`an OSCQuery device's address space in the editor (${tag})`, function () {
    this.timeout(60000);
    let browser;
    let page;
    let ed;
    let device;
    let devicePort;

    before(async function () {
      if (!findChromium()) {
        console.log('      skipped: no Chromium; install it with `apt-get install chromium`');
        this.skip();
      }
      devicePort = await freeTcpPort();
      device = new OSCQueryServer({
        bindAddress: '127.0.0.1',
        httpPort: devicePort,
        oscPort: 9000,
        serviceName: `oqclient-e2e-${process.pid}`,
      });
      device.addMethod('/synth/freq', {
        description: 'frequency',
        access: OSCQAccess.READWRITE,
        arguments: [{ type: OSCTypeSimple.FLOAT, range: { min: 20, max: 20000 }, value: 440 }],
      });
      device.addMethod('/synth/gate', { access: OSCQAccess.WRITEONLY, arguments: [{ type: OSCTypeSimple.INT }] });
      await device.start();
      browser = await launch({ viewport: { width: 1500, height: 950 } });
      page = browser.page;
      page.setDefaultTimeout(15000);
      ed = editorPage(page);
      await page.goto(getState().nr.url);
      await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.getType('osc-out'), null, {
        timeout: 45000,
      });
    });

    // A failed step leaves its trays open; close them so the next step starts from the workspace.
    afterEach(async function () {
      if (this.currentTest.state === 'failed' && page) {
        await closeTrays(page);
        await page.waitForTimeout(500);
      }
    });

    after(async () => {
      if (browser) await browser.close();
      if (device) await device.stop();
    });

    /** The tray's tree for the device, typed as host:port and opened. */
    async function openDevice() {
      const tray = page.locator('.oscflow-qt');
      await tray.waitFor({ state: 'visible' });
      await ed.typeInto('.oscflow-qt-device', `127.0.0.1:${devicePort}`);
      await page.locator('.oscflow-qt-open').click();
      await page.locator('.oscflow-qt-method[data-address="/synth/freq"]').waitFor({ state: 'visible' });
    }

    /** A tab holding one osc out to 127.0.0.1:9000 with no address yet. */
    function oscOutFlow(tabId, outId, label) {
      return [
        { id: tabId, type: 'tab', label },
        {
          id: outId,
          z: tabId,
          type: 'osc-out',
          x: 200,
          y: 100,
          host: '127.0.0.1',
          port: '9000',
          address: '',
          numbers: 'int',
          wires: [],
        },
      ];
    }

    /** Imports `flow` (a tab and one node of `type`) and opens that node's edit dialog; resolves with its id there. */
    async function importAndEdit(flow, type) {
      const { id: tab } = await ed.importJson(flow);
      const id = await page.evaluate(([z, t]) => RED.nodes.filterNodes({ type: t, z })[0].id, [tab, type]);
      await ed.openEditor(id);
      return id;
    }

    it('picks an address from the tree into osc out, with the types the device declares', async () => {
      const outId = await importAndEdit(oscOutFlow('qtTab', 'qtOut', 'oscquery'), 'osc-out');
      // A flow from before "Types: from device" opens with the usual typing, and nothing to complain about.
      assert.equal(await page.locator('#node-input-typesFrom').inputValue(), '');
      await page.locator('.oscflow-qt-button').click();
      await openDevice();
      const freq = page.locator('.oscflow-qt-method[data-address="/synth/freq"]');
      assert.equal((await freq.locator('.oscflow-qt-type').textContent()).trim(), 'f');
      assert.equal((await freq.locator('.oscflow-qt-range').textContent()).trim(), '20…20000');
      assert.equal((await freq.locator('.oscflow-qt-access').textContent()).trim(), 'read/write');
      assert.equal((await freq.locator('.oscflow-qt-description').textContent()).trim(), 'frequency');
      await freq.locator('.oscflow-qt-pick').check();
      await page.locator('#oscflow-qt-done').click();
      await page.locator('.oscflow-qt').waitFor({ state: 'detached' });
      assert.equal(await page.locator('#node-input-address').inputValue(), '/synth/freq');
      assert.equal((await page.locator('.oscflow-qt-types').textContent()).trim(), 'msg.types = ",f"');
      await ed.done();
      assert.equal(await page.evaluate((i) => RED.nodes.node(i).address, outId), '/synth/freq');
      assert.equal(await page.evaluate((i) => RED.nodes.node(i).valid, outId), true);
    });

    it('adds one osc route rule per address ticked in the tree', async () => {
      const routeId = await importAndEdit(
        [
          { id: 'qtTab2', type: 'tab', label: 'oscquery route' },
          {
            id: 'qtRoute',
            z: 'qtTab2',
            type: 'osc-route',
            x: 200,
            y: 100,
            property: 'topic',
            rules: [{ pattern: '' }],
            checkall: 'true',
            otherwise: false,
            outputs: 1,
            wires: [[]],
          },
        ],
        'osc-route',
      );
      await page.locator('.oscflow-qt-button').click();
      await openDevice();
      for (const a of ['/synth/freq', '/synth/gate'])
        await page.locator(`.oscflow-qt-method[data-address="${a}"] .oscflow-qt-pick`).check();
      await page.locator('#oscflow-qt-done').click();
      await page.locator('.oscflow-qt').waitFor({ state: 'detached' });
      await ed.done();
      assert.deepEqual(await page.evaluate((i) => RED.nodes.node(i).rules, routeId), [
        { pattern: '/synth/freq' },
        { pattern: '/synth/gate' },
      ]);
      assert.equal(await page.evaluate((i) => RED.nodes.node(i).outputs, routeId), 2);
    });

    it('says why when the device cannot be read', async () => {
      await importAndEdit(oscOutFlow('qtTab3', 'qtOut3', 'oscquery refused'), 'osc-out');
      await page.locator('.oscflow-qt-button').click();
      await page.locator('.oscflow-qt').waitFor({ state: 'visible' });
      const closed = await freeTcpPort();
      await ed.typeInto('.oscflow-qt-device', `127.0.0.1:${closed}`);
      await page.locator('.oscflow-qt-open').click();
      await page.waitForFunction(() => /REFUSED/.test(document.querySelector('.oscflow-qt-info').textContent));
      await page.locator('#oscflow-qt-cancel').click();
      await page.locator('.oscflow-qt').waitFor({ state: 'detached' });
      await ed.cancel();
      // Chromium logs every answer that is not a success; the 502 of the device that refused is the one expected.
      assert.deepEqual(
        browser.problems.filter((p) => !/status of 502 \(Bad Gateway\)/.test(p)),
        [],
      );
      assert.equal(browser.problems.length, 1);
    });
  });
}

module.exports = { describeOscQueryTree };
