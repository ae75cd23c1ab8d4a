'use strict';
// A real Node-RED (the devDependency) in a child process, the way a user runs it: a throwaway userDir with this
// package linked into its node_modules, the admin API on a free 127.0.0.1 port (for deploys), and its log in a
// file the test can read. Used by the hostile-traffic, redeploy and runtime-texts tests.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const ourName = require(path.join(root, 'package.json')).name;

function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

/**
 * `packageDir`: the copy of this package to load (package.json and dist/), this checkout unless given; `settings`:
 * more runtime settings (e.g. lang).
 */
async function startNodeRed({ flow = [], logLevel = 'info', packageDir = root, settings = {} } = {}) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oscflow-test-'));
  const [scope, name] = ourName.split('/');
  fs.mkdirSync(path.join(userDir, 'node_modules', scope), { recursive: true });
  fs.symlinkSync(packageDir, path.join(userDir, 'node_modules', scope, name), 'dir');
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'oscflow-test-userdir', private: true, dependencies: { [ourName]: '*' } }),
  );
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow));
  const uiPort = await freeTcpPort();
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = ${JSON.stringify({
      uiHost: '127.0.0.1',
      uiPort,
      flowFile: 'flows.json',
      credentialSecret: false,
      httpNodeRoot: false,
      telemetry: { enabled: false },
      diagnostics: { enabled: false },
      runtimeState: { enabled: false },
      externalModules: { autoInstall: false },
      logging: { console: { level: logLevel, metrics: false, audit: false } },
      ...settings,
    })};\n`,
  );
  const logFile = path.join(userDir, 'node-red.log');
  const log = fs.openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')],
    {
      cwd: userDir,
      stdio: ['ignore', log, log],
      env: { ...process.env, NODE_RED_DISABLE_TELEMETRY: '1' },
    },
  );
  fs.closeSync(log);
  let exit;
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exit = { code, signal }))));
  const readLog = () => {
    try {
      return fs.readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const base = `http://127.0.0.1:${uiPort}`;

  const nr = {
    pid: child.pid,
    userDir,
    base,
    get exit() {
      return exit;
    },
    get alive() {
      return exit === undefined;
    },
    log: readLog,
    /** Resolves when the log (from `from` on) matches `re`; rejects if Node-RED exits or `ms` passes. */
    async waitLog(re, { from = 0, ms = 20000 } = {}) {
      const until = Date.now() + ms;
      for (;;) {
        const text = readLog().slice(from);
        const m = re.exec(text);
        if (m) return m;
        if (exit)
          throw new Error(
            `Node-RED exited (${JSON.stringify(exit)}) before the log matched ${re}:\n${readLog().slice(-3000)}`,
          );
        if (Date.now() > until)
          throw new Error(`the log did not match ${re} within ${ms} ms:\n${readLog().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    /** Deploys `flow` through the admin API: 'full', or 'nodes' (only the modified nodes restart). */
    async deploy(flowToDeploy, type = 'full') {
      const res = await fetch(`${base}/flows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': type, 'Node-RED-API-Version': 'v1' },
        body: JSON.stringify(flowToDeploy),
      });
      if (!res.ok) throw new Error(`deploy failed: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    },
    /** Open file descriptors of the runtime, by kind ("socket", "pipe", "file", "anon_inode"...). */
    fds() {
      const out = { total: 0, socket: 0, inodes: new Set() };
      let names;
      try {
        names = fs.readdirSync(`/proc/${child.pid}/fd`);
      } catch {
        return undefined;
      }
      for (const n of names) {
        let link;
        try {
          link = fs.readlinkSync(`/proc/${child.pid}/fd/${n}`);
        } catch {
          continue;
        }
        out.total++;
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m) {
          out.socket++;
          out.inodes.add(Number(m[1]));
        }
      }
      return out;
    },
    /** UDP sockets the runtime holds, from /proc/net/udp{,6} rows whose inode is one of its fds. */
    udpSockets() {
      const fds = nr.fds();
      if (!fds) return undefined;
      const rows = [];
      for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
        let text;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch {
          continue;
        }
        for (const line of text.split('\n').slice(1)) {
          const cols = line.trim().split(/\s+/);
          if (cols.length < 10) continue;
          if (fds.inodes.has(Number(cols[9])))
            rows.push({ local: cols[1], port: parseInt(cols[1].split(':').pop(), 16), inode: Number(cols[9]) });
        }
      }
      return rows;
    },
    rss() {
      try {
        const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : NaN;
      } catch {
        return NaN;
      }
    },
    async stop() {
      if (!exit) {
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
  try {
    await nr.waitLog(/Started flows|Server now running/, { ms: 30000 });
    await nr.waitLog(/Server now running/, { ms: 30000 });
  } catch (e) {
    await nr.stop();
    throw e;
  }
  return nr;
}

/**
 * Logs `username` in through the admin API's password grant, as the editor does once adminAuth is set, and
 * returns the access token (for `authorization: Bearer <token>` or a comms `{auth: token}`).
 */
async function adminToken(base, username, scope, password) {
  const res = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: 'node-red-admin',
      grant_type: 'password',
      scope,
      username,
      password,
    }),
  });
  assert.equal(res.status, 200, `log in as ${username}`);
  return (await res.json()).access_token;
}

module.exports = { startNodeRed, freeTcpPort, adminToken };
