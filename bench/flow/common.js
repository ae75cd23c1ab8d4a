'use strict';
// Helpers shared by the flow benchmarks (run.js, schedule.js): the machine, a process's CPU, a free port, tables
// and the results file.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo);
  let nproc;
  try {
    nproc = Number(execFileSync('nproc').toString().trim());
  } catch {
    nproc = os.availableParallelism();
  }
  return {
    nproc,
    cpu: model ? model[1].trim() : os.cpus()[0]?.model,
    node: process.version,
    nodeRed: require('node-red/package.json').version,
    contribOsc: require('node-red-contrib-osc/package.json').version,
    loadavg: os.loadavg(),
  };
}

/** CPU seconds (user + system) used so far by a process, from /proc/<pid>/stat. */
function cpuSecondsOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/**
 * CPU time a process has used so far, in nanoseconds: the sum over its threads of /proc/<pid>/task/<tid>/schedstat,
 * which counts in nanoseconds where /proc/<pid>/stat counts in 10 ms ticks (too coarse for an idle process).
 */
function cpuNsOf(pid) {
  try {
    let ns = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
    return ns;
  } catch {
    return NaN;
  }
}

/** Jiffies of the whole machine from /proc/stat: busy (all but idle and iowait), softirq, total. */
function machineTicks() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - f[4], softirq: f[6], total };
  } catch {
    return { busy: NaN, softirq: NaN, total: NaN };
  }
}

/** A free UDP port for the Node-RED flow to bind: bind 0, read it, release it (the flow binds it a moment later). */
async function freeUdpPort() {
  const dgram = require('node:dgram');
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise((r) => s.close(() => r()));
  return port;
}

function table(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cols) => '| ' + cols.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  const out = [title, '', line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)];
  return out.join('\n');
}

function writeResults(name, data) {
  const dir = path.join(root, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

module.exports = { root, machine, cpuSecondsOf, cpuNsOf, machineTicks, freeUdpPort, table, writeResults };
