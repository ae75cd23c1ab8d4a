'use strict';
// Starts a real Node-RED (the devDependency) as a child process with a throwaway userDir, the way a user runs it,
// so the benchmark includes everything the runtime does per message.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const ourName = require(path.join(root, 'package.json')).name;

/**
 * @param {object} o
 * @param {object[]} o.flow          the flow to deploy
 * @param {boolean} o.withOurs       make our package installable in the userDir (only when the flow needs it, so a
 *                                   half-written node of ours cannot disturb the other chains)
 * @param {string}  [o.oursDir]      where our package is (default: this work tree), e.g. a patched copy to A/B a change
 * @param {string}  [o.cpuProfDir]   write a V8 CPU profile of the runtime there on exit
 * @param {string}  [o.insideDir]    time each message inside the runtime (inside-preload.js), results there
 * @param {string[]} [o.nodeArgs]    more Node.js options for the runtime (e.g. a -r preload of a benchmark's own)
 * @param {object}  [o.env]          more environment variables for it
 */
function startNodeRed({ flow, withOurs, oursDir, cpuProfDir, insideDir, nodeArgs, env }) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oscflow-bench-'));
  const deps = {};
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  if (withOurs) {
    const [scope, name] = ourName.split('/');
    fs.mkdirSync(path.join(userDir, 'node_modules', scope), { recursive: true });
    fs.symlinkSync(oursDir || root, path.join(userDir, 'node_modules', scope, name), 'dir');
    deps[ourName] = '*';
  }
  // node-red-contrib-osc is found without a link: Node-RED also scans the node_modules tree it is installed in
  // (ours), and a second copy in the userDir would register the 'osc' type twice.
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'oscflow-bench-userdir', private: true, dependencies: deps }, null, 2),
  );
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow));
  // No HTTP at all (no editor, no admin API): nothing but the flow competes for the CPU.
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = ${JSON.stringify(
      {
        flowFile: 'flows.json',
        flowFilePretty: false,
        credentialSecret: false,
        httpAdminRoot: false,
        httpNodeRoot: false,
        telemetry: { enabled: false },
        diagnostics: { enabled: false },
        runtimeState: { enabled: false },
        externalModules: { autoInstall: false },
        // BENCH_SYNC_DELIVERY=1: msgs go from node to node synchronously instead of by setImmediate, to see what the
        // runtime's hand-offs cost. A user's choice in settings.js, not a default: the benchmark never sets it.
        ...(process.env.BENCH_SYNC_DELIVERY === '1' ? { runtimeSyncDelivery: true } : {}),
        logging: { console: { level: process.env.BENCH_LOG || 'warn', metrics: false, audit: false } },
      },
      null,
      2,
    )};\n`,
  );
  const logFile = path.join(userDir, 'node-red.log');
  const log = fs.openSync(logFile, 'w');
  // BENCH_NODE_ARGS: extra Node.js options for the runtime, e.g. "--trace-gc" to see its pauses in node-red.log.
  const args = (process.env.BENCH_NODE_ARGS || '').split(/\s+/).filter(Boolean);
  if (cpuProfDir) args.push('--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`);
  if (insideDir) args.push('-r', path.join(__dirname, 'inside-preload.js'));
  if (nodeArgs) args.push(...nodeArgs);
  args.push(require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js'));
  const child = spawn(process.execPath, args, {
    cwd: userDir,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      NODE_RED_DISABLE_TELEMETRY: '1',
      ...(insideDir ? { BENCH_INSIDE_DIR: insideDir } : {}),
      ...env,
    },
  });
  fs.closeSync(log);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let alive = true;
  exited.then(() => {
    alive = false;
  });

  return {
    pid: child.pid,
    startedAt: Date.now(),
    userDir,
    get alive() {
      return alive;
    },
    log() {
      try {
        return fs.readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
    /** SIGINT lets Node-RED close its flows and exit normally, which is also when V8 writes the CPU profile. */
    async stop() {
      if (alive) {
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS, in kB). */
function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

module.exports = { startNodeRed, rssOf };
