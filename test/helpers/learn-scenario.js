'use strict';
// "Learn" in the editor, in a real browser (headless Chromium) on an installed package and its real OSC monitor:
// a flow osc in -> osc route is deployed, liblo's oscsend sends into it, and the osc route dialog takes its rules
// from that traffic (learn: the next address; recent: several picked at once, one rule each), then osc out takes
// its Address and Host/Port from a message seen. Shared by the Node-RED 4 and 5 suites; `state()` is
// { nr, installedDir } from installAndStart().
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { findChromium, launch } = require('./browser');
const { ARTIFACTS, editorPage, closeTrays, udpSocket, freeUdpPort, oscMessage } = require('./editor-page');

const OSCSEND = '/usr/bin/oscsend';

function oscsend(port, address, types, ...values) {
  const args = ['127.0.0.1', String(port), address];
  if (types) args.push(types, ...values);
  return new Promise((resolve, reject) =>
    execFile(OSCSEND, args, (err, stdout, stderr) =>
      err ? reject(new Error(`oscsend failed: ${stderr || err.message}`)) : resolve(),
    ),
  );
}

function describeLearn(getState, tag) {
  describe(`learn addresses from the OSC monitor, in headless Chromium (${tag})`, function () {
    this.timeout(90000);
    let browser;
    let page;
    let ed;
    let inPort;
    let device;
    const ids = {};

    before(async function () {
      const state = getState();
      if (!findChromium()) {
        console.log('      skipped: no Chromium; install it with `apt-get install chromium`');
        this.skip();
      }
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      inPort = await freeUdpPort();
      // A "device" with a known port, to see it come back as Host and Port.
      device = await udpSocket(0, '127.0.0.1');
      browser = await launch({ viewport: { width: 1500, height: 950 } });
      page = browser.page;
      page.setDefaultTimeout(15000);
      ed = editorPage(page);
      await page.goto(state.nr.url);
      await page.waitForFunction(
        () => window.RED && RED.nodes && RED.nodes.getType('osc-route') && window.OscLearn && window.OscMonitor,
        null,
        { timeout: 45000 },
      );
    });

    after(async () => {
      if (browser) await browser.close();
      if (device) device.close();
    });

    afterEach(async function () {
      if (this.currentTest.state === 'failed' && page) {
        await page.screenshot({ path: path.join(ARTIFACTS, `${tag}-learn-failed.png`) }).catch(() => {});
        await closeTrays(page);
      }
    });

    const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `${tag}-${name}.png`) });

    /**
     * Sends (again and again, as a device does) until the page sees what it waits for: the monitor's feed starts
     * once the dialog subscribes, and a message sent before that is not seen by anyone.
     */
    async function sendUntil(send, pageCondition, arg, what) {
      const end = Date.now() + 20000;
      for (;;) {
        await send();
        const ok = await page
          .waitForFunction(pageCondition, arg, { timeout: 400, polling: 50 })
          .then(() => true)
          .catch(() => false);
        if (ok) return;
        if (Date.now() > end) assert.fail(`never saw ${what}`);
      }
    }

    it('deploys osc in -> osc route (one rule to learn into) and an osc out', async () => {
      // osc out and osc request as dropped from the palette: nowhere to send yet.
      const unaddressed = { transport: 'udp', endpoint: '', host: '', port: '', address: '', numbers: 'int' };
      const flow = [
        { id: 'c1c1c1c1c1c1c1c1', type: 'tab', label: 'learn' },
        { id: 'c2c2c2c2c2c2c2c2', type: 'osc-udp', name: 'learn-ep', localAddress: '127.0.0.1', localPort: inPort },
        {
          id: 'c3c3c3c3c3c3c3c3',
          type: 'osc-in',
          z: 'c1c1c1c1c1c1c1c1',
          transport: 'udp',
          endpoint: 'c2c2c2c2c2c2c2c2',
          x: 140,
          y: 100,
          wires: [['c4c4c4c4c4c4c4c4']],
        },
        {
          id: 'c4c4c4c4c4c4c4c4',
          type: 'osc-route',
          z: 'c1c1c1c1c1c1c1c1',
          property: 'topic',
          rules: [{ pattern: '/placeholder' }],
          checkall: 'true',
          otherwise: false,
          outputs: 1,
          x: 360,
          y: 100,
          wires: [[]],
        },
        {
          id: 'c5c5c5c5c5c5c5c5',
          type: 'osc-out',
          z: 'c1c1c1c1c1c1c1c1',
          ...unaddressed,
          x: 580,
          y: 100,
          wires: [],
        },
        {
          id: 'c6c6c6c6c6c6c6c6',
          type: 'osc-request',
          z: 'c1c1c1c1c1c1c1c1',
          ...unaddressed,
          reply: '',
          format: 'osc',
          timeout: 1,
          retries: 0,
          maxPending: 100,
          consume: false,
          x: 580,
          y: 180,
          wires: [[]],
        },
      ];
      const tab = await ed.importJson(flow);
      assert.equal(tab.label, 'learn');
      // Imported copies may have new ids: find them by type on this tab.
      const onTab = (type) =>
        page.evaluate(([t, z]) => RED.nodes.filterNodes({ type: t, z }).map((n) => n.id)[0], [type, tab.id]);
      ids.in = await onTab('osc-in');
      ids.route = await onTab('osc-route');
      ids.out = await onTab('osc-out');
      ids.request = await onTab('osc-request');
      ids.endpoint = await page.evaluate((i) => RED.nodes.node(i).endpoint, ids.in);
      await ed.deploy();
      await ed.waitForStatus(ids.in, /listening/);
    });

    it('osc route: finds its upstream endpoint through the wires', async () => {
      const upstream = await page.evaluate((i) => window.OscLearn.upstreamEndpoints(RED.nodes.node(i)), ids.route);
      assert.deepEqual(upstream, [ids.endpoint]);
    });

    it('osc route: "learn" waits visibly, and the next address that arrives fills the rule', async () => {
      await ed.openEditor(ids.route);
      const rule = page.locator('#node-input-rule-container li').first();
      const input = rule.locator('.node-input-rule-pattern');
      assert.equal(await input.inputValue(), '/placeholder');
      const learn = rule.locator('.oscflow-learn-learn');
      await learn.click();
      await page.waitForFunction(() =>
        document.querySelector('#node-input-rule-container li .oscflow-learn-learn.oscflow-learn-waiting'),
      );
      assert.match(await learn.textContent(), /waiting/);
      await shot('learn-route-waiting');
      await sendUntil(
        () => oscsend(inPort, '/learned/fader1', 'f', '0.5'),
        () =>
          /** @type {HTMLInputElement} */ (
            document.querySelector('#node-input-rule-container .node-input-rule-pattern')
          ).value === '/learned/fader1',
        null,
        'the learned address in rule 1',
      );
      assert.ok(!(await learn.evaluate((el) => el.classList.contains('oscflow-learn-waiting'))), 'no longer waiting');
      assert.match(await learn.textContent(), /learn/);
      // Valid, as the runtime judges it.
      assert.ok(!(await input.evaluate((el) => el.classList.contains('input-error'))));
    });

    it('osc route: "recent" lists the addresses seen, newest first; picking two makes two rules, and two outputs', async () => {
      await page.locator('.red-ui-editableList-addButton').first().click();
      const rules = page.locator('#node-input-rule-container li');
      await page.waitForFunction(() => document.querySelectorAll('#node-input-rule-container li').length === 2);
      await rules.nth(1).locator('.oscflow-learn-pick').click();
      const picker = rules.nth(1).locator('.oscflow-learn-picker');
      await picker.waitFor({ state: 'visible' });
      // Only this node's upstream endpoint, as offered.
      assert.ok(await picker.locator('.oscflow-learn-upstream').isChecked());
      await sendUntil(
        async () => {
          await oscsend(inPort, '/recent/a', 'i', '1');
          await oscsend(inPort, '/recent/b', 's', 'hello world');
        },
        () =>
          ['/recent/a', '/recent/b'].every((a) =>
            document.querySelector(`.oscflow-learn-picker .oscflow-learn-item[data-address="${a}"]`),
          ),
        null,
        'both addresses in the list',
      );
      // Newest first (as last seen when the list was drawn), one row per address: a rule matches whoever sends.
      const listed = await picker
        .locator('.oscflow-learn-item')
        .evaluateAll((els) =>
          els.map((e) => ({ address: e.getAttribute('data-address'), at: Number(e.getAttribute('data-at')) })),
        );
      const addresses = listed.map((r) => r.address);
      assert.equal(new Set(addresses).size, addresses.length, `one row per address: ${addresses.join(' ')}`);
      for (let k = 1; k < listed.length; k++) {
        assert.ok(listed[k - 1].at >= listed[k].at, `newest first: ${JSON.stringify(listed)}`);
      }
      await shot('learn-route-recent');
      await picker.locator('.oscflow-learn-item[data-address="/recent/a"]').click();
      await picker.locator('.oscflow-learn-item[data-address="/recent/b"]').click();
      // Traffic goes on while the person picks (each oscsend from a new port: a new row of the same address): the
      // list is redrawn, and the ticks stay.
      const drawnAt = await picker.locator('.oscflow-learn-item[data-address="/recent/a"]').getAttribute('data-at');
      await sendUntil(
        () => oscsend(inPort, '/recent/a', 'i', '1'),
        (at) => {
          const item = document.querySelector('.oscflow-learn-picker .oscflow-learn-item[data-address="/recent/a"]');
          return item && item.getAttribute('data-at') !== at;
        },
        drawnAt,
        'the list redrawn with a newer /recent/a',
      );
      const ticked = await picker
        .locator('.oscflow-learn-item input[type=checkbox]:checked')
        .evaluateAll((els) => els.map((e) => e.closest('.oscflow-learn-item').getAttribute('data-address')));
      assert.deepEqual(ticked.sort(), ['/recent/a', '/recent/b']);
      await picker.locator('.oscflow-learn-use').click();
      await picker.waitFor({ state: 'detached' });
      await page.waitForFunction(() => document.querySelectorAll('#node-input-rule-container li').length === 3);
      const patterns = await page
        .locator('#node-input-rule-container .node-input-rule-pattern')
        .evaluateAll((els) => els.map((e) => e.value));
      assert.equal(patterns[0], '/learned/fader1');
      assert.deepEqual(patterns.slice(1).sort(), ['/recent/a', '/recent/b']);
      await ed.done();
      const saved = await page.evaluate((i) => {
        const n = RED.nodes.node(i);
        return { rules: n.rules.map((r) => r.pattern), outputs: n.outputs, valid: n.valid };
      }, ids.route);
      assert.deepEqual(saved.rules.slice(0, 1), ['/learned/fader1']);
      assert.deepEqual(saved.rules.slice(1).sort(), ['/recent/a', '/recent/b']);
      assert.equal(saved.outputs, 3);
      assert.equal(saved.valid, true);
      assert.equal(await ed.nodeGroup(ids.route).locator('.red-ui-flow-port-output').count(), 3);
    });

    it('osc out: "recent" fills Address, and Host and Port with the device that sent, and shows its types', async () => {
      await ed.openEditor(ids.out);
      await page.locator('.oscflow-learn-row .oscflow-learn-pick').click();
      const picker = page.locator('.oscflow-learn-picker');
      await picker.waitFor({ state: 'visible' });
      const message = oscMessage('/device/state', 'if', [3, 0.25]);
      await sendUntil(
        () => new Promise((r) => device.send(message, inPort, '127.0.0.1', r)),
        () => document.querySelector('.oscflow-learn-picker .oscflow-learn-item[data-address="/device/state"]'),
        null,
        '/device/state in the list',
      );
      await picker.locator('.oscflow-learn-item[data-address="/device/state"]').click();
      await picker.waitFor({ state: 'detached' });
      assert.equal(await page.locator('#node-input-address').inputValue(), '/device/state');
      assert.equal(await page.locator('#node-input-host').inputValue(), '127.0.0.1');
      assert.equal(await page.locator('#node-input-port').inputValue(), String(device.address().port));
      assert.match(await page.locator('.oscflow-learn-types').textContent(), /seen: ,if/);
      await shot('learn-out-recent');
      await ed.expectValid('#node-input-address');
      await ed.expectValid('#node-input-port');
    });

    it('osc out: "learn" takes the next message, and Done keeps it', async () => {
      await page.locator('.oscflow-learn-row .oscflow-learn-learn').click();
      await page.waitForFunction(() => document.querySelector('.oscflow-learn-row .oscflow-learn-waiting'));
      const message = oscMessage('/device/next', 'i', [7]);
      await sendUntil(
        () => new Promise((r) => device.send(message, inPort, '127.0.0.1', r)),
        () => /** @type {HTMLInputElement} */ (document.querySelector('#node-input-address')).value === '/device/next',
        null,
        'the learned address',
      );
      assert.match(await page.locator('.oscflow-learn-types').textContent(), /seen: ,i\b/);
      await ed.done();
      const saved = await page.evaluate((i) => {
        const n = RED.nodes.node(i);
        return { address: n.address, host: n.host, port: String(n.port), valid: n.valid };
      }, ids.out);
      assert.deepEqual(saved, {
        address: '/device/next',
        host: '127.0.0.1',
        port: String(device.address().port),
        valid: true,
      });
    });

    it('osc request: the same, under its Address', async () => {
      await ed.openEditor(ids.request);
      await page.locator('.oscflow-learn-row .oscflow-learn-pick').click();
      const picker = page.locator('.oscflow-learn-picker');
      await picker.waitFor({ state: 'visible' });
      const message = oscMessage('/device/query', 'i', [1]);
      await sendUntil(
        () => new Promise((r) => device.send(message, inPort, '127.0.0.1', r)),
        () => document.querySelector('.oscflow-learn-picker .oscflow-learn-item[data-address="/device/query"]'),
        null,
        '/device/query in the list',
      );
      await picker.locator('.oscflow-learn-item[data-address="/device/query"]').click();
      assert.equal(await page.locator('#node-input-address').inputValue(), '/device/query');
      assert.equal(await page.locator('#node-input-host').inputValue(), '127.0.0.1');
      assert.equal(await page.locator('#node-input-port').inputValue(), String(device.address().port));
      assert.match(await page.locator('.oscflow-learn-types').textContent(), /seen: ,i\b/);
      await ed.done();
      assert.equal(await page.evaluate((i) => RED.nodes.node(i).address, ids.request), '/device/query');
    });

    it('closing a dialog while learning stops waiting (the monitor subscription is let go)', async () => {
      await ed.openEditor(ids.route);
      await page.locator('#node-input-rule-container li').first().locator('.oscflow-learn-learn').click();
      await page.waitForFunction(() => window.OscMonitor.subscribed);
      await ed.cancel();
      await page.waitForFunction(() => !window.OscMonitor.subscribed, null, { timeout: 5000 });
    });

    it('a monitor row becomes an inject -> osc out pair and an oscsend command line, each sending it again', async () => {
      // A float that is a whole number: plain, osc out would send it as an int; msg.types keeps it a float.
      const message = oscMessage('/replay/me', 'fi', [1, 2]);
      const nextRow = () =>
        page.evaluate(() => {
          /** @type {any} */ (window).__learned = null;
          /** @type {any} */ (window).__cancel = window.OscMonitor.learnNext({ direction: 'in' }, (r) => {
            if (r.address === '/replay/me') /** @type {any} */ (window).__learned = r;
          });
        });
      const learned = () => page.evaluate(() => /** @type {any} */ (window).__learned);
      await nextRow();
      await sendUntil(
        () => new Promise((r) => device.send(message, inPort, '127.0.0.1', r)),
        () => /** @type {any} */ (window).__learned,
        null,
        'the row of /replay/me',
      );
      const row = await learned();
      assert.equal(row.types, 'fi');

      const before = await ed.nodeIds('inject');
      await page.evaluate((r) => window.OscLearn.insertInject(r), row);
      // Held by the mouse as a paste is: a click on the workspace puts it down.
      const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
      await page.mouse.move(chart.x + 200, chart.y + 300, { steps: 5 });
      await page.mouse.click(chart.x + 200, chart.y + 300);
      const injectId = (await ed.nodeIds('inject')).find((i) => !before.includes(i));
      assert.ok(injectId, 'an inject node was added');
      const pair = await page.evaluate((i) => {
        const links = RED.nodes.filterLinks({ source: { id: i } });
        const out = links.length === 1 ? links[0].target : null;
        const inject = RED.nodes.node(i);
        return {
          props: inject.props,
          out: out && { type: out.type, host: out.host, port: String(out.port), valid: out.valid },
        };
      }, injectId);
      assert.deepEqual(pair.out, { type: 'osc-out', host: '127.0.0.1', port: String(inPort), valid: true });
      assert.deepEqual(
        pair.props.find((p) => p.p === 'types'),
        { p: 'types', v: ',fi', vt: 'str' },
      );
      await ed.deploy();
      await shot('learn-inject');

      // The inject sends it back into the osc in, as the device did: the same types and values arrive.
      await nextRow();
      await sendUntil(
        () => ed.clickInject(injectId),
        () => /** @type {any} */ (window).__learned,
        null,
        'the injected message',
      );
      const replayed = await learned();
      assert.deepEqual([replayed.types, replayed.args], [row.types, row.args]);
      assert.notEqual(replayed.peer.port, device.address().port, 'sent by osc out, not by the device');

      const command = await page.evaluate((r) => window.OscLearn.oscsendCommand(r), row);
      assert.equal(command, `oscsend 127.0.0.1 ${inPort} /replay/me fi 1 2`);
      await nextRow();
      await sendUntil(
        () =>
          new Promise((resolve, reject) =>
            execFile('/bin/sh', ['-c', command.replace(/^oscsend/, OSCSEND)], (err) => (err ? reject(err) : resolve())),
          ),
        () => /** @type {any} */ (window).__learned,
        null,
        'the message oscsend sent',
      );
      const sent = await learned();
      assert.deepEqual([sent.types, sent.args], [row.types, row.args]);
      await page.evaluate(() => /** @type {any} */ (window).__cancel());
    });

    it('showed no error in the browser console', () => {
      assert.deepEqual(browser.problems, []);
    });
  });
}

module.exports = { describeLearn };
