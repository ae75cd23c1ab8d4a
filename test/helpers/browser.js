'use strict';
// Headless Chromium from the system (Debian's chromium package) driven by playwright-core: Playwright's own
// browser download needs hosts this machine cannot reach.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
];

function findChromium() {
  return CANDIDATES.find((p) => p && fs.existsSync(p));
}

// Every flag keeps the browser from talking to anything but the Node-RED under test.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

async function launch({ viewport = { width: 1400, height: 900 } } = {}) {
  const { chromium } = require('playwright-core');
  const executablePath = findChromium();
  if (!executablePath) throw new Error(`no Chromium at ${CANDIDATES.filter(Boolean).join(', ')}`);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oscflow-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: ARGS,
    viewport,
    timeout: 60000,
  });
  const page = context.pages()[0] || (await context.newPage());
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  return {
    context,
    page,
    problems,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

module.exports = { findChromium, launch };
