'use strict';
// What a person does in the Node-RED editor, as playwright steps on one page: drag from the palette, wire, open a
// dialog, type, read what the dialog says, import, deploy, read a status and the debug sidebar. Shared by the editor
// scenarios (editor-scenario.js, first-hour-scenario.js) on Node-RED 4 and 5.
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const fs = require('node:fs');
const path = require('node:path');
const { root } = require('./packed-package');
const { installedDefinitions } = require('./installed-checks');
const { findChromium, launch } = require('./browser');

const ARTIFACTS = path.join(root, 'test-artifacts');

function udpSocket(port = 0, address = '0.0.0.0') {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(port, address, () => resolve(s));
  });
}

// A port free right now for a node to listen on (it binds it after Deploy).
async function freeUdpPort() {
  const s = await udpSocket();
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function isUdpPortFree(port) {
  try {
    const s = await udpSocket(port);
    await new Promise((r) => s.close(r));
    return true;
  } catch {
    return false;
  }
}

function oscString(s) {
  const b = Buffer.from(`${s}\0`);
  return Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
}

// A message built by hand (types: a string of i, f), so a test does not lean on our own encoder.
function oscMessage(address, types, values) {
  const args = values.map((v, i) => {
    const b = Buffer.alloc(4);
    if (types[i] === 'i') b.writeInt32BE(v);
    else b.writeFloatBE(v);
    return b;
  });
  return Buffer.concat([oscString(address), oscString(`,${types}`), ...args]);
}

const oscFloatMessage = (address, value) => oscMessage(address, 'f', [value]);

function editorPage(page) {
  const nodeIds = (type) => page.evaluate((t) => RED.nodes.filterNodes({ type: t }).map((n) => n.id), type);
  const nodeGroup = (id) => page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"]`);

  // The box of a palette entry once the palette has stopped moving (filtering animates it).
  async function settledBox(locator) {
    let last = await locator.boundingBox();
    for (let i = 0; i < 50; i++) {
      await page.waitForTimeout(100);
      const box = await locator.boundingBox();
      if (box && last && box.x === last.x && box.y === last.y) return box;
      last = box;
    }
    return last;
  }

  // Types like a person (keyup/change drive Node-RED's validation), replacing what was there.
  async function typeInto(selector, text) {
    const input = page.locator(selector).first();
    await input.click({ clickCount: 3 });
    await input.press('Control+a');
    await input.press('Backspace');
    if (text !== '') await input.pressSequentially(text);
    await input.press('Tab');
    // The dialogs refresh their explanations on a timer of 0 after each input event; one more timer of 0 queued
    // now runs after those, so what is read next is the refreshed dialog.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    return input;
  }

  const api = {
    page,
    nodeIds,
    nodeGroup,
    typeInto,

    /** The node type of the palette entry showing this label (as a person reads it), or undefined. */
    paletteType: (label) =>
      page.evaluate(
        (l) =>
          [.../** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('.red-ui-palette-node'))].find(
            (el) => el.querySelector('.red-ui-palette-label').textContent.replace(/\s+/g, ' ').trim() === l,
          )?.dataset.paletteType,
        label,
      ),

    async searchPalette(text) {
      await typeInto('#red-ui-palette-search input', text);
    },

    async dragFromPalette(type, x, y) {
      const before = await nodeIds(type);
      const entry = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      if (!(await entry.isVisible())) await api.searchPalette(type.replace(/-/g, ' '));
      await entry.scrollIntoViewIfNeeded();
      const from = await settledBox(entry);
      const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
      await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
      await page.mouse.down();
      // jQuery UI starts a drag only after a first small movement.
      await page.mouse.move(from.x + from.width / 2 + 5, from.y + from.height / 2 + 5, { steps: 3 });
      await page.mouse.move(chart.x + x, chart.y + y, { steps: 15 });
      await page.mouse.up();
      const added = (await nodeIds(type)).filter((id) => !before.includes(id));
      assert.equal(added.length, 1, `dragging ${type} onto the workspace added ${added.length} nodes`);
      return added[0];
    },

    async wire(fromId, toId, port = 0) {
      // A person scrolls both ends into sight first; an earlier step may have left the workspace scrolled.
      await page.evaluate(() => {
        const chart = document.getElementById('red-ui-workspace-chart');
        chart.scrollTop = 0;
        chart.scrollLeft = 0;
      });
      const out = await nodeGroup(fromId).locator('.red-ui-flow-port-output').nth(port).boundingBox();
      const inp = await nodeGroup(toId).locator('.red-ui-flow-port-input').first().boundingBox();
      await page.mouse.move(out.x + out.width / 2, out.y + out.height / 2);
      await page.mouse.down();
      await page.mouse.move(inp.x + inp.width / 2, inp.y + inp.height / 2, { steps: 10 });
      await page.mouse.up();
      const linked = await page.evaluate(
        ([a, b, p]) => RED.nodes.filterLinks({ source: { id: a }, target: { id: b } }).some((l) => l.sourcePort === p),
        [fromId, toId, port],
      );
      assert.ok(linked, `no wire from ${fromId}:${port} to ${toId}`);
    },

    // Double-clicks the node, as a person opens its dialog.
    async openEditor(id) {
      assert.ok(id, 'the node was not placed on the workspace');
      const group = nodeGroup(id);
      await group.scrollIntoViewIfNeeded();
      await group.locator('.red-ui-flow-node').first().dblclick();
      await page.locator('#node-dialog-ok').waitFor({ state: 'visible' });
    },

    async done() {
      await clickUntilGone(page.locator('#node-dialog-ok'));
    },

    async cancel() {
      await page.locator('#node-dialog-cancel').click();
      await page.locator('#node-dialog-cancel').waitFor({ state: 'detached' });
    },

    // The config node dialog on top of a node's dialog: its "Add" / "Update" button, and its "Cancel".
    async configDone() {
      await clickUntilGone(page.locator('#node-config-dialog-ok'));
    },
    async configCancel() {
      await page.locator('#node-config-dialog-cancel').click();
      await page.locator('#node-config-dialog-cancel').waitFor({ state: 'detached' });
    },

    // Node-RED marks an invalid field with .input-error and explains it in a tooltip on hover.
    async tooltipMessage(selector) {
      const input = page.locator(selector).first();
      await page.waitForFunction((s) => document.querySelector(s).classList.contains('input-error'), selector);
      // The tooltip opens on mouseenter, and the pointer is still on the field it just typed into; a tooltip opened
      // on the way there (a field beneath, a button) closes once the pointer has left it.
      await page.mouse.move(0, 0);
      await page
        .waitForFunction(
          () =>
            ![.../** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('.red-ui-popover'))].some(
              (el) => el.offsetParent !== null,
            ),
          null,
          { timeout: 5000 },
        )
        .catch(() => {});
      await input.hover();
      const tip = page.locator('.red-ui-popover:visible').last();
      await tip.waitFor({ state: 'visible', timeout: 5000 });
      return (await tip.textContent()).trim();
    },

    /**
     * The explanation shown in the dialog under an invalid field (marked invalid), once it is visible: what the
     * user reads without hovering anything.
     */
    async explanation(selector) {
      const text = await page.waitForFunction(
        (s) => {
          const input = document.querySelector(s);
          if (!input || !input.classList.contains('input-error')) return false;
          const prop = input.id.replace(/^node-(config-)?input-/, '');
          const box =
            input.closest('.form-row') &&
            input.closest('.form-row').querySelector(`.oscflow-explain[data-prop="${prop}"]`);
          return box && box.offsetParent !== null && box.textContent.trim() !== '' ? box.textContent.trim() : false;
        },
        selector,
        { timeout: 5000 },
      );
      return text.jsonValue();
    },

    async expectValid(selector) {
      await page.waitForFunction(
        (s) => {
          const input = document.querySelector(s);
          if (input.classList.contains('input-error')) return false;
          const prop = input.id.replace(/^node-(config-)?input-/, '');
          const box =
            input.closest('.form-row') &&
            input.closest('.form-row').querySelector(`.oscflow-explain[data-prop="${prop}"]`);
          return !box || box.offsetParent === null;
        },
        selector,
        { timeout: 5000 },
      );
    },

    /** Import > Examples > module > name; resolves with the tab it brings, { id, label }, opened. */
    async importExample(module, name) {
      await page.locator('#red-ui-header-button-sidemenu').click();
      await page.locator('#menu-item-import').click();
      await page.locator('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples a').click();
      const tab = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
      await tab.locator('.red-ui-treeList-label', { hasText: module }).first().click();
      const example = tab.locator('.red-ui-treeList-label').filter({ hasText: new RegExp(`^\\s*${name}\\s*$`) });
      await example.waitFor({ state: 'visible' });
      // The folder slides open: a click during the slide lands where the row was a frame before (on a loaded
      // machine, on no row at all, and Import stays disabled). A person clicks a list that has stopped moving.
      await page.waitForFunction(() => $('#red-ui-clipboard-dialog-import-tab-examples :animated').length === 0);
      await example.click();
      await page.waitForFunction(
        (n) =>
          $('#red-ui-clipboard-dialog-import-tab-examples .red-ui-treeList-label.selected').text().trim() === n &&
          !$('#red-ui-clipboard-dialog-ok').prop('disabled'),
        name,
      );
      return api.finishImport();
    },

    /** Import > Clipboard with the flow as JSON text, as a person pastes a flow file. */
    async importJson(flow) {
      await page.locator('#red-ui-header-button-sidemenu').click();
      await page.locator('#menu-item-import').click();
      await page.locator('#red-ui-tab-red-ui-clipboard-dialog-import-tab-clipboard a').click();
      const text = page.locator('#red-ui-clipboard-dialog-import-text');
      await text.fill(JSON.stringify(flow));
      // Node-RED checks the text on keyup: one key, as the end of typing or pasting.
      await text.press('End');
      return api.finishImport();
    },

    /**
     * Imports with the dialog's default (the current flow); a flow that brings its own tab lands on that tab, which
     * the person then opens. Resolves with the new tab's id and label.
     */
    async finishImport() {
      const before = await page.evaluate(() => {
        const t = [];
        RED.nodes.eachWorkspace((w) => t.push(w.id));
        return t;
      });
      await page.locator('#red-ui-clipboard-dialog-ok').click();
      // Nodes with these ids are in the workspace already (imported before): Node-RED asks; a person imports a copy.
      const copy = page.locator('.red-ui-notification button', { hasText: 'Import copy' });
      if (
        await copy.waitFor({ state: 'visible', timeout: 1000 }).then(
          () => true,
          () => false,
        )
      )
        await copy.click();
      const id = await (
        await page.waitForFunction((b) => {
          const added = [];
          RED.nodes.eachWorkspace((w) => {
            if (!b.includes(w.id)) added.push(w.id);
          });
          return added.length === 1 ? added[0] : false;
        }, before)
      ).jsonValue();
      await page.locator(`#red-ui-tab-${id} a`).first().click();
      await page.waitForFunction((i) => RED.workspaces.active() === i, id);
      return page.evaluate((i) => ({ id: i, label: RED.nodes.workspace(i).label }), id);
    },

    /** Deploys (confirming Node-RED's question about invalid nodes when told to) and waits until it is done. */
    async deploy({ confirmInvalid = false } = {}) {
      await page.locator('#red-ui-header-button-deploy').click();
      if (confirmInvalid) {
        const confirm = page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy');
        await confirm.waitFor({ state: 'visible' });
        await confirm.click();
      }
      await page.waitForFunction(() => !RED.nodes.dirty(), null, { timeout: 20000 });
    },

    statusLabel: (id) => nodeGroup(id).locator('.red-ui-flow-node-status-label'),

    async waitForStatus(id, re) {
      const label = nodeGroup(id).locator('.red-ui-flow-node-status-label');
      await page.waitForFunction(
        ([el, src]) => new RegExp(src).test(el.textContent),
        [await label.elementHandle(), re.source],
        { timeout: 20000 },
      );
      return (await label.textContent()).trim();
    },

    async clearDebug() {
      await page.evaluate(() => RED.sidebar.show('debug'));
      await page
        .locator('#red-ui-sidebar-debug-clear')
        .click()
        .catch(() => page.evaluate(() => RED.debug && RED.debug.clearMessageList && RED.debug.clearMessageList()));
    },

    /** The debug sidebar's messages as text, newest last. */
    debugTexts: () =>
      page.evaluate(() =>
        [...document.querySelectorAll('.red-ui-debug-msg')].map((el) => el.textContent.replace(/\s+/g, ' ').trim()),
      ),

    async waitForDebug(predicate, what, timeout = 15000) {
      const end = Date.now() + timeout;
      let texts = [];
      while (Date.now() < end) {
        // An object (an error) shows shortened until opened, as a person clicks it open to read it.
        await page.evaluate(() =>
          /** @type {NodeListOf<HTMLElement>} */ (
            document.querySelectorAll('.red-ui-debug-msg-element.collapsed > .red-ui-debug-msg-expandable')
          ).forEach((el) => el.click()),
        );
        texts = await api.debugTexts();
        const hit = texts.find(predicate);
        if (hit) return hit;
        await page.waitForTimeout(100);
      }
      assert.fail(`the debug sidebar never showed ${what}; it shows:\n${texts.join('\n')}`);
    },

    /** Selects the node and presses Delete. */
    async remove(id) {
      await nodeGroup(id).locator('.red-ui-flow-node').first().click();
      await page.keyboard.press('Delete');
      await page.waitForFunction((i) => !RED.nodes.node(i), id);
    },

    async clickInject(id) {
      await nodeGroup(id).locator('.red-ui-flow-node-button').click();
    },
  };
  return api;
}

/**
 * Clicks a tray's Done or Update and waits until the tray has closed. A click that lands while Node-RED 5 is still
 * sliding the tray in is lost (seen on a loaded CI machine): as a person does, it clicks again, three times at most.
 */
async function clickUntilGone(button) {
  for (let attempt = 1; ; attempt++) {
    // Closed meanwhile: the last click was taken after all.
    if (attempt > 1 && (await button.count()) === 0) return;
    await button.click();
    const gone = await button.waitFor({ state: 'detached', timeout: 5000 }).then(
      () => true,
      () => false,
    );
    if (gone) return;
    if (attempt === 3) throw new Error(`three clicks on ${button} left its tray open`);
  }
}

/**
 * Closes the edit trays a failed step left open, and the import dialog with its overlay (best effort), so the next
 * step starts from the workspace.
 */
async function closeTrays(page) {
  await page
    .evaluate(() => {
      for (let i = 0; i < 5; i++) RED.tray.close();
      const importDialog = $('#red-ui-clipboard-dialog');
      if (importDialog.dialog('instance') && importDialog.dialog('isOpen')) importDialog.dialog('close');
    })
    .catch(() => {});
}

/** One node type's English catalogue (its locale file's top-level entry), as the installed package ships it. */
function installedLocale(installedDir, type) {
  const { pkg } = installedDefinitions(installedDir);
  const file = path.join(installedDir, path.dirname(pkg['node-red'].nodes[type]), 'locales', 'en-US', `${type}.json`);
  return JSON.parse(fs.readFileSync(file, 'utf8'))[type];
}

/**
 * Headless Chromium on the editor at `url`, once the palette shows our nodes (every type in `types` known) and,
 * with `flows`, the deployed flows have arrived (nodes counted before a drag are all there). Skips the calling mocha context
 * when there is no Chromium: only CI is guaranteed to have it (.ci/run installs Debian's chromium package).
 */
async function launchEditor(
  context,
  url,
  { types = ['osc-in'], flows = false, viewport = { width: 1700, height: 950 } } = {},
) {
  if (!findChromium()) {
    console.log('      skipped: no Chromium; install it with `apt-get install chromium`');
    context.skip();
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await launch({ viewport });
  const page = browser.page;
  page.setDefaultTimeout(15000);
  await page.goto(url);
  await page.waitForFunction(
    ({ types, flows }) =>
      window.RED &&
      RED.nodes &&
      types.every((t) => RED.nodes.getType(t)) &&
      document.querySelector('.red-ui-palette-node[data-palette-type="osc-in"]') &&
      (!flows || RED.nodes.version()),
    { types, flows },
    { timeout: 45000 },
  );
  return { browser, page, ed: editorPage(page) };
}

module.exports = {
  ARTIFACTS,
  editorPage,
  launchEditor,
  closeTrays,
  installedLocale,
  udpSocket,
  freeUdpPort,
  isUdpPortFree,
  oscString,
  oscMessage,
  oscFloatMessage,
};
