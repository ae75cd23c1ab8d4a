'use strict';
// A real Node-RED, as users run it: its own process, its own user directory, our package installed into
// that directory by npm the way the palette manager installs it, the editor and admin API over HTTP.
const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const READY = /Server now running at (http:\/\/\S+?)\/?\s*$/m;

// The npm that runs these tests. Node-RED's palette manager also runs npm's CLI script with the runtime's
// own node binary (so engine checks see the Node.js that Node-RED runs on), and so do we.
function npmCli() {
  const candidates = [
    process.env.npm_execpath,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    '/usr/lib/node_modules/npm/bin/npm-cli.js',
    '/usr/local/lib/node_modules/npm/bin/npm-cli.js',
  ];
  const found = candidates.find((c) => c && /npm-cli\.js$/.test(c) && fs.existsSync(c));
  if (!found) throw new Error(`npm-cli.js not found (looked in ${candidates.filter(Boolean).join(', ')})`);
  return found;
}

function run(file, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 64 * 1024 * 1024, ...options }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\n${file} ${args.join(' ')}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
        reject(err);
      } else resolve({ stdout, stderr });
    });
  });
}

/**
 * @param {string[]} args
 * @param {{ nodeBin?: string, cwd?: string, timeout?: number }} [options]
 */
function runNpm(args, { nodeBin = process.execPath, cwd, timeout = 180000 } = {}) {
  // npm_config_* from an outer `npm test` (e.g. a dry-run or a global prefix) must not leak into the inner npm.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  env.PATH = `${path.dirname(nodeBin)}${path.delimiter}${env.PATH || ''}`;
  return run(nodeBin, [npmCli(), ...args], { cwd, env, timeout });
}

// The user directory Node-RED creates on first start (package.json as the runtime writes it), plus the
// settings a test needs: loopback only, no credential-secret warning, no tours or telemetry dialogs in the
// editor, info logging to the console (which is how we learn the port and see load errors).
function makeUserDir(prefix = 'oscflow-e2e-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'node-red-project',
        description: 'A Node-RED Project',
        version: '0.0.1',
        private: true,
      },
      null,
      4,
    ),
  );
  fs.writeFileSync(
    path.join(dir, 'settings.js'),
    `module.exports = {
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    credentialSecret: 'oscflow-e2e',
    logging: { console: { level: 'info', metrics: false, audit: false } },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false },
    // No catalogue: the editor would fetch the Flow Library's catalogue from the internet on load.
    editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
};
`,
  );
  return dir;
}

// Exactly the palette manager's npm install (@node-red/registry/lib/installer.js), run in the user directory.
const PALETTE_INSTALL_ARGS = [
  '--no-audit',
  '--no-update-notifier',
  '--no-fund',
  '--save',
  '--save-prefix=~',
  '--omit=dev',
  '--engine-strict',
];

/**
 * @param {string} userDir
 * @param {string} spec
 * @param {{ nodeBin?: string }} [options]
 */
async function installIntoUserDir(userDir, spec, { nodeBin } = {}) {
  await runNpm(['install', ...PALETTE_INSTALL_ARGS, '--', spec], { nodeBin, cwd: userDir });
}

const running = new Set();
process.on('exit', () => {
  for (const child of running)
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
});

class NodeRed {
  constructor(child, userDir) {
    this.child = child;
    this.userDir = userDir;
    this.lines = [];
    this.url = undefined;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const onData = (chunk) => {
      this.partial = (this.partial || '') + chunk;
      const parts = this.partial.split('\n');
      this.partial = parts.pop();
      for (const line of parts) {
        this.lines.push(line);
        for (const w of [...this.waiters])
          if (w.re.test(line)) {
            this.waiters.delete(w);
            w.resolve(line);
          }
      }
    };
    this.waiters = new Set();
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
  }

  log() {
    return this.lines.join('\n') + (this.partial ? `\n${this.partial}` : '');
  }

  // Resolves with the first log line (from `fromLine` on) matching re; rejects when Node-RED exits or time runs out.
  waitForLog(re, { timeout = 30000, fromLine = 0 } = {}) {
    const seen = this.lines.slice(fromLine).find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        re,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no log line matching ${re} within ${timeout} ms; log:\n${this.log()}`));
      }, timeout);
      this.waiters.add(waiter);
      this.exited.then(({ code, signal }) => {
        if (!this.waiters.has(waiter)) return;
        this.waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`Node-RED exited (code ${code}, signal ${signal}) before ${re}; log:\n${this.log()}`));
      });
    });
  }

  /**
   * @param {string} method
   * @param {string} urlPath
   * @param {{ body?: unknown, accept?: string, headers?: Record<string, string> }} [options]
   */
  async request(method, urlPath, { body, accept = 'application/json', headers = {} } = {}) {
    const res = await fetch(new URL(urlPath.replace(/^\//, ''), `${this.url}/`), {
      method,
      headers: { Accept: accept, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(15000),
    });
    return res;
  }

  async getJson(urlPath) {
    const res = await this.request('GET', urlPath);
    const text = await res.text();
    if (!res.ok) throw new Error(`GET ${urlPath}: HTTP ${res.status} ${text}`);
    return JSON.parse(text);
  }

  // The palette manager's "Upload module tgz file": Node-RED stores the tarball in <userDir>/nodes/, runs
  // npm install on it and loads the new nodes into the running runtime, without a restart.
  async uploadModule(tarball) {
    const form = new FormData();
    form.append('tarball', new Blob([fs.readFileSync(tarball)], { type: 'application/gzip' }), path.basename(tarball));
    const res = await fetch(new URL('nodes', `${this.url}/`), {
      method: 'POST',
      headers: { Accept: 'application/json' },
      body: form,
      signal: AbortSignal.timeout(180000),
    });
    const text = await res.text();
    if (!res.ok)
      throw new Error(`POST /nodes (upload ${path.basename(tarball)}): HTTP ${res.status} ${text}\n${this.log()}`);
    return JSON.parse(text);
  }

  // Deploys a whole flow set and waits for the runtime to have started it.
  async deploy(flows) {
    const from = this.lines.length;
    const res = await this.request('POST', '/flows', { body: flows, headers: { 'Node-RED-Deployment-Type': 'full' } });
    if (!res.ok) throw new Error(`POST /flows: HTTP ${res.status} ${await res.text()}`);
    const line = await this.waitForLog(/Started flows|Waiting for missing types/, { fromLine: from });
    if (/Waiting/.test(line)) {
      await new Promise((r) => setTimeout(r, 200)); // the list of missing types follows on the next lines
      throw new Error(`deploy waits for types that never registered:\n${this.lines.slice(from).join('\n')}`);
    }
    return this.lines.slice(from);
  }

  // SIGINT is how a terminal stops Node-RED: flows close (our close handlers run), then the process exits.
  async stop({ removeUserDir = !process.env.OSCFLOW_E2E_KEEP } = {}) {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGINT');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 15000);
      await this.exited;
      clearTimeout(killer);
    }
    running.delete(this.child);
    if (removeUserDir) fs.rmSync(this.userDir, { recursive: true, force: true });
  }
}

// Starts `node red.js -u userDir -p 0`: port 0 lets the OS pick a free port (Node-RED 4 and 5 both accept it
// and log the port they got), so parallel runs never collide.
async function startNodeRed({ redJs, nodeBin = process.execPath, userDir, timeout = 60000 }) {
  const child = spawn(nodeBin, [redJs, '-u', userDir, '-p', '0'], {
    cwd: userDir,
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))),
      NODE_RED_HOME: userDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const nr = new NodeRed(child, userDir);
  try {
    const line = await nr.waitForLog(READY, { timeout });
    nr.url = READY.exec(line)[1].replace(/\/$/, '');
    // The HTTP server is up when the line is logged; one request proves the admin API answers.
    await nr.getJson('/settings');
  } catch (e) {
    await nr.stop({ removeUserDir: false });
    throw e;
  }
  return nr;
}

module.exports = { makeUserDir, installIntoUserDir, startNodeRed, runNpm, run, PALETTE_INSTALL_ARGS };
