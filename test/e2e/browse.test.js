'use strict';
// Issue 16 in the editor: a real Node-RED (this checkout, linked into a throwaway userDir) and headless Chromium.
// A service that python3-zeroconf registers on the loopback appears in osc out's Browse list while the dialog is
// open; picking it fills Host and Port, and Done saves them. No error in the browser console.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { startNodeRed } = require('../helpers/node-red-child');
const { findChromium, launch } = require('../helpers/browser');
const { zeroconfAvailable, zeroconfService } = require('../helpers/mdns-peers');
const { ARTIFACTS } = require('../helpers/editor-page');

describe('e2e: the Browse button in osc out (python3-zeroconf, headless Chromium)', function () {
  this.timeout(90000);
  let nr;
  let browser;
  let page;
  let peer;
  const name = `oscflow e2e synth ${crypto.randomBytes(3).toString('hex')}`;
  // Only a number in a DNS-SD record: nothing binds it.
  const port = 20000 + crypto.randomInt(20000);

  before(async function () {
    if (!findChromium() || !zeroconfAvailable()) {
      console.log('      skipped: needs Chromium and python3-zeroconf');
      this.skip();
    }
    nr = await startNodeRed({
      flow: [
        { id: 'f1', type: 'tab', label: 'browse' },
        { id: 'o1', type: 'osc-out', z: 'f1', x: 240, y: 120, name: 'to the synth', wires: [] },
      ],
      // No tour over the workspace, no catalogue fetched from the internet.
      settings: { editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } } },
    });
    peer = await zeroconfService('_osc._udp', name, port, { app: 'e2e' });
    browser = await launch();
    page = browser.page;
    page.setDefaultTimeout(20000);
    await page.goto(nr.base);
    await page.waitForFunction(
      () => window.RED && RED.nodes && RED.nodes.node('o1') && /** @type {any} */ (window).OscBrowse,
      null,
      {
        timeout: 45000,
      },
    );
  });

  after(async () => {
    if (browser) await browser.close();
    if (peer) await peer.close();
    if (nr) await nr.stop();
  });

  it('lists the service while the dialog is open; picking it fills Host and Port, and Done saves them', async () => {
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('o1')));
    await page.locator('#node-input-host').waitFor({ state: 'visible' });
    const button = page.locator('.oscflow-browse-button');
    assert.equal(await button.count(), 1, 'one Browse button, beside Port');
    await button.click();
    const item = page.locator(`.oscflow-browse-item[data-name="${name}"]`);
    await item.waitFor({ state: 'visible' });
    const text = (await item.textContent()).trim();
    assert.match(text, new RegExp(`^${name} · UDP · zeroconf-peer\\.local \\(127\\.0\\.0\\.1\\) : ${port}$`));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'browse-osc-out.png') });
    await item.click();
    assert.equal(await page.locator('#node-input-host').inputValue(), '127.0.0.1');
    assert.equal(await page.locator('#node-input-port').inputValue(), String(port));
    assert.equal(await page.locator('.oscflow-browse').isVisible(), false, 'the list closes once picked');
    await page.locator('#node-dialog-ok').click();
    await page.locator('#node-dialog-ok').waitFor({ state: 'detached' });
    const saved = await page.evaluate(() => {
      const n = RED.nodes.node('o1');
      return { host: n.host, port: n.port, valid: n.valid };
    });
    assert.deepEqual(saved, { host: '127.0.0.1', port: String(port), valid: true });
  });

  it('stops asking once the dialog is closed', async () => {
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('o1')));
    await page.locator('.oscflow-browse-button').click();
    await page.locator('.oscflow-browse-item').first().waitFor({ state: 'visible' });
    await page.locator('#node-dialog-cancel').click();
    await page.locator('#node-dialog-cancel').waitFor({ state: 'detached' });
    // Every request the page makes from now on is counted: none for osc/services after the next poll would be due.
    let asked = 0;
    page.on('request', (r) => {
      if (/\/osc\/services/.test(r.url())) asked++;
    });
    await page.waitForTimeout(2500);
    assert.equal(asked, 0);
  });

  it('has had no error in the browser console', () => {
    assert.deepEqual(browser.problems, []);
  });
});
