'use strict';
// Debian's python3-zeroconf as an independent DNS-SD peer on the loopback (test/helpers/zeroconf-node-peer.py): a
// browser whose events the tests await, and a registered service that lasts until closed.
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(__dirname, 'zeroconf-node-peer.py');

/** Whether python3-zeroconf is installed (the tests that need it say so and skip otherwise). */
function zeroconfAvailable() {
  const r = spawnSync(PYTHON, ['-c', 'import zeroconf'], { stdio: 'ignore' });
  return r.status === 0;
}

function start(args) {
  const child = spawn(PYTHON, [SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const events = [];
  const waiters = new Set();
  let stderr = '';
  let buf = '';
  let exited = false;
  const check = () => {
    for (const w of [...waiters]) {
      const e = events.find((ev, i) => i >= w.from && w.match(ev));
      if (e) {
        waiters.delete(w);
        w.resolve(e);
      }
    }
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) events.push(JSON.parse(line));
    }
    check();
  });
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise((resolve) =>
    child.on('exit', () => {
      exited = true;
      for (const w of waiters) w.reject(new Error(`zeroconf peer exited: ${stderr.slice(-2000)}`));
      waiters.clear();
      resolve();
    }),
  );
  const peer = {
    events,
    /** Resolves with the first event (from index `from` on) for which `match` is true. */
    waitFor(match, from = 0) {
      return new Promise((resolve, reject) => {
        if (exited) return reject(new Error(`zeroconf peer exited: ${stderr.slice(-2000)}`));
        waiters.add({ match, from, resolve, reject });
        check();
      });
    },
    /** Ends the peer (a registered service is unregistered first: goodbye packets). */
    close() {
      if (!exited) child.stdin.end();
      return closed;
    },
  };
  return peer;
}

/** A browser of `type` ("_osc._udp"); resolves once it listens. */
async function zeroconfBrowser(type) {
  const peer = start(['browse', type]);
  await peer.waitFor((e) => e.event === 'ready');
  return peer;
}

/** A service registered by python-zeroconf on 127.0.0.1; resolves once registered. */
async function zeroconfService(type, name, port, txt = {}) {
  const peer = start(['register', type, name, String(port), ...Object.entries(txt).map(([k, v]) => `${k}=${v}`)]);
  await peer.waitFor((e) => e.event === 'ready');
  return peer;
}

module.exports = { zeroconfAvailable, zeroconfBrowser, zeroconfService };
