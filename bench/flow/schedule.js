'use strict';
// `npm run bench:schedule`: how close to their timetags osc in's "hold bundles" releases them, end to end through a
// real Node-RED, and what the precision costs in CPU. With `--alt <dir>` a second copy of the package (package.json
// and dist/, e.g. a build of the commit before a change) is measured in the same run, alternating round by round.
//
// The flow in each Node-RED: osc-in (hold bundles, split) -> osc-out back to this process, on 127.0.0.1.
// Lateness: each round sends 40 bundles of one message in one burst, due 50-600 ms ahead, in shuffled order; each
// message's arrival back here minus its timetag, both on this process's wall clock (wallclock.js). The same
// release is also timed inside the runtime, at osc-out's socket send (schedule-preload.js), on that process's
// wall clock: that one excludes the way back, so an early release cannot hide in it. Before the rounds, ten
// plain messages time the round trip through the same chain, for scale.
// CPU: the runtime's CPU time (all threads, /proc/<pid>/task/*/schedstat) while one bundle waits half an hour
// ahead (nothing due) and while one bundle a second is released, in both runtimes at once over the same seconds;
// and while 1,000 a second are, one runtime at a time, alternating. Three runs of 10 s each, the median reported.
// Each bundle is due 50-600 ms after it is sent. In the rounds and at 1,000 a second, only the chain being
// measured runs: the other is stopped (SIGSTOP) meanwhile. Then the same with the scheduler alone, no Node-RED.
// Options: --alt <dir>  --rounds N (default 15)  --cpu-seconds N (default 10)  --cpu-repeats N (default 3)
//          --no-cpu  --quick (3 rounds, one run of 3 s per case)
// Results go to bench/results/schedule-<time>.json. Absolute numbers depend on the machine and its neighbours:
// compare the chains measured side by side in the same run.
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startNodeRed } = require('./node-red');
const { sleep } = require('./loadgen');
const { root, machine, cpuNsOf, freeUdpPort, table, writeResults } = require('./common');
const { wallNow, originSkew } = require('./wallclock');
const P = require('./packets');

const BUNDLES_PER_ROUND = 40;
const AHEAD_MS = [50, 600];
const NTP_UNIX_OFFSET = 2208988800;

function parseArgs(argv) {
  const o = { rounds: 15, cpuSeconds: 10, cpuRepeats: 3, cpu: true, alt: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--alt') o.alt = path.resolve(argv[++i]);
    else if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '--cpu-seconds') o.cpuSeconds = Number(argv[++i]);
    else if (a === '--cpu-repeats') o.cpuRepeats = Number(argv[++i]);
    else if (a === '--no-cpu') o.cpu = false;
    else if (a === '--quick') Object.assign(o, { rounds: 3, cpuSeconds: 3, cpuRepeats: 1 });
    else throw new Error(`unknown option ${a}`);
  }
  if (o.alt && !fs.existsSync(path.join(o.alt, 'dist', 'nodes', 'osc-in.js'))) {
    throw new Error(`${o.alt} has no dist/nodes/osc-in.js: build it first (npm run build there)`);
  }
  return o;
}

function flow({ inPort, outPort }) {
  const tab = 'bench-schedule';
  return [
    { id: tab, type: 'tab', label: 'schedule benchmark', disabled: false, info: '' },
    { id: 'endpoint', type: 'osc-udp', name: '', localAddress: '127.0.0.1', localPort: inPort, ipv: 'udp4' },
    {
      id: 'in',
      type: 'osc-in',
      z: tab,
      name: '',
      transport: 'udp',
      endpoint: 'endpoint',
      payloadArray: false,
      bundles: 'split',
      lenient: false,
      schedule: true,
      queueSize: 5000,
      horizon: 7200,
      late: 'emit',
      x: 100,
      y: 100,
      wires: [['out']],
    },
    {
      id: 'out',
      type: 'osc-out',
      z: tab,
      name: '',
      transport: 'udp',
      endpoint: '',
      host: '127.0.0.1',
      port: outPort,
      address: '',
      numbers: 'int',
      x: 300,
      y: 100,
      wires: [],
    },
  ];
}

/** A bundle holding one message (step, seq), due at `dueMs` (epoch ms, fractional): written here, not by src/. */
function bundleBytes(step, seq, dueMs) {
  const head = Buffer.alloc(20);
  head.write('#bundle');
  const whole = Math.floor(dueMs / 1000);
  let fraction = Math.round(((dueMs - whole * 1000) / 1000) * 2 ** 32);
  let seconds = whole + NTP_UNIX_OFFSET;
  if (fraction >= 2 ** 32) {
    seconds += 1;
    fraction -= 2 ** 32;
  }
  head.writeUInt32BE(seconds, 8);
  head.writeUInt32BE(fraction, 12);
  const m = P.newMessage();
  P.setMessage(m, step, seq);
  head.writeInt32BE(m.length, 16);
  return Buffer.concat([head, m]);
}

function stats(values) {
  const v = Float64Array.from(values).sort();
  const at = (q) => (v.length ? v[Math.min(v.length - 1, Math.floor(q * v.length))] : NaN);
  return {
    n: v.length,
    early: v.filter((x) => x < 0).length,
    minMs: v.length ? v[0] : NaN,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    p99Ms: at(0.99),
    maxMs: v.length ? v[v.length - 1] : NaN,
  };
}

/** The receiving socket: arrival times by (step, seq). */
class Receiver {
  constructor() {
    this.sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
    this.arrivals = new Map();
    this.waiters = [];
    this.sock.on('message', (buf) => {
      const at = wallNow();
      P.parsePacket(buf, 0, buf.length, (step, seq) => {
        let m = this.arrivals.get(step);
        if (!m) this.arrivals.set(step, (m = new Map()));
        if (!m.has(seq)) m.set(seq, at);
      });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  async open() {
    await new Promise((r) => this.sock.bind(0, '127.0.0.1', () => r()));
    this.port = this.sock.address().port;
  }

  of(step) {
    return this.arrivals.get(step) || new Map();
  }

  /** Resolves when `count` messages of `step` have arrived, or at `deadline` (wall ms). */
  async waitFor(step, count, deadline) {
    while (this.of(step).size < count) {
      const left = deadline - wallNow();
      if (left <= 0) return false;
      await Promise.race([new Promise((r) => this.waiters.push(r)), sleep(Math.min(left, 100))]);
    }
    return true;
  }

  close() {
    this.sock.close();
  }
}

let nextStep = 2;

async function startChain(name, dir, recv, sendTimesDir) {
  const inPort = await freeUdpPort();
  const red = startNodeRed({
    flow: flow({ inPort, outPort: recv.port }),
    withOurs: true,
    oursDir: dir,
    nodeArgs: ['-r', path.join(__dirname, 'schedule-preload.js')],
    env: { BENCH_SCHEDULE_DIR: sendTimesDir },
  });
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.connect(inPort, '127.0.0.1', () => r()));
  sock.on('error', () => {});
  const chain = { name, dir, red, pid: red.pid, inPort, sock, stopped: false };
  // Ready when a plain message comes back (the flow is deployed and both sockets are bound).
  const step = nextStep++;
  const deadline = wallNow() + 60000;
  for (let k = 0; wallNow() < deadline; k++) {
    const m = P.newMessage();
    P.setMessage(m, step, k);
    sock.send(m);
    if (await recv.waitFor(step, 1, wallNow() + 200)) return chain;
  }
  throw new Error(`${name}: no message came back from Node-RED\n${red.log().split('\n').slice(-20).join('\n')}`);
}

/** Only `chain` runs; the others are stopped (SIGSTOP), so that their idle-time work does not land in its numbers. */
function focus(chains, chain) {
  for (const c of chains) {
    const run = chain === undefined || c === chain;
    if (run && c.stopped) process.kill(c.pid, 'SIGCONT');
    if (!run && !c.stopped) process.kill(c.pid, 'SIGSTOP');
    c.stopped = !run;
  }
}

/** The release times inside the runtime, noted by schedule-preload.js between two SIGWINCHes. */
async function sendTimes(chain, dir) {
  const file = path.join(dir, `sends-${chain.pid}.json`);
  fs.rmSync(file, { force: true });
  process.kill(chain.pid, 'SIGWINCH');
  for (let k = 0; k < 100 && !fs.existsSync(file); k++) await sleep(20);
  const out = new Map();
  if (!fs.existsSync(file)) return out;
  for (const [step, seq, at] of JSON.parse(fs.readFileSync(file, 'utf8'))) {
    const key = `${step}:${seq}`;
    if (!out.has(key)) out.set(key, at);
  }
  return out;
}

/** One round: the round trip of 10 plain messages, then 40 bundles in one burst, due 50-600 ms ahead. */
async function round(chain, recv, dir) {
  const r = { roundTrip: [], late: [], inside: [], lost: 0 };
  const rt = nextStep++;
  for (let k = 0; k < 10; k++) {
    const m = P.newMessage();
    P.setMessage(m, rt, k);
    const t = wallNow();
    chain.sock.send(m);
    if (await recv.waitFor(rt, k + 1, t + 1000)) r.roundTrip.push(recv.of(rt).get(k) - t);
    await sleep(2);
  }
  process.kill(chain.pid, 'SIGWINCH'); // start noting send times
  const step = nextStep++;
  const base = wallNow();
  const dues = Array.from(
    { length: BUNDLES_PER_ROUND },
    () => base + AHEAD_MS[0] + Math.random() * (AHEAD_MS[1] - AHEAD_MS[0]),
  );
  for (let seq = 0; seq < dues.length; seq++) chain.sock.send(bundleBytes(step, seq, dues[seq]));
  await recv.waitFor(step, dues.length, base + AHEAD_MS[1] + 1000);
  const inside = await sendTimes(chain, dir);
  const got = recv.of(step);
  for (let seq = 0; seq < dues.length; seq++) {
    if (got.has(seq)) r.late.push(got.get(seq) - dues[seq]);
    else r.lost++;
    const at = inside.get(`${step}:${seq}`);
    if (at !== undefined) r.inside.push(at - dues[seq]);
  }
  return r;
}

/**
 * Waits (10 s at most) until the runtime is idle: a runtime resumed after SIGSTOP does the idle-time work it
 * missed (V8 shrinking its heap), and that must not land in the next measurement.
 */
async function settle(chain) {
  const until = Date.now() + 10000;
  let c0 = cpuNsOf(chain.pid);
  while (Date.now() < until) {
    await sleep(500);
    const c1 = cpuNsOf(chain.pid);
    if (c1 - c0 < 2e6) return; // under 0.4% of a core
    c0 = c1;
  }
}

/**
 * CPU of each runtime in `together` over the same `seconds`, while bundles are released at `rate` per second in
 * each (0: one bundle waits half an hour ahead, nothing is due), each due 50-600 ms after it is sent. Sending starts
 * AHEAD_MS[1] ms before the measurement, so that releases run at the full rate throughout it.
 */
async function cpuRun(together, recv, rate, seconds) {
  for (const c of together) await settle(c);
  const due = () => wallNow() + AHEAD_MS[0] + Math.random() * (AHEAD_MS[1] - AHEAD_MS[0]);
  const t0 = wallNow();
  const runs = together.map((chain) => {
    const run = { chain, step: nextStep++, seq: 0, dues: [] };
    run.sendOne = (when) => {
      run.dues[run.seq] = when;
      chain.sock.send(bundleBytes(run.step, run.seq, when));
      run.seq++;
    };
    return run;
  });
  let timer = null;
  if (rate === 0) for (const r of runs) r.sendOne(wallNow() + 1800e3);
  else {
    const perMs = rate / 1000;
    timer = setInterval(
      () => {
        const target = Math.floor((wallNow() - t0) * perMs) + 1;
        for (const r of runs) while (r.seq < target) r.sendOne(due());
      },
      Math.min(1000 / rate, 50),
    );
    await sleep(AHEAD_MS[1]);
  }
  const c0 = runs.map((r) => cpuNsOf(r.chain.pid));
  const w0 = wallNow();
  await sleep(seconds * 1000);
  const wall = wallNow() - w0;
  const cpu = runs.map((r, i) => (cpuNsOf(r.chain.pid) - c0[i]) / 1e6 / wall);
  if (timer) clearInterval(timer);
  const results = [];
  for (const [i, r] of runs.entries()) {
    const result = { chain: r.chain.name, rate, seconds, cpu: cpu[i], sent: r.seq };
    if (rate > 0) {
      await recv.waitFor(r.step, r.seq, wallNow() + AHEAD_MS[1] + 1000);
      const got = recv.of(r.step);
      result.lost = r.seq - got.size;
      result.lateMs = [];
      for (const [k, at] of got) result.lateMs.push(at - r.dues[k]);
      result.late = stats(result.lateMs);
    }
    results.push(result);
  }
  return results;
}

function median(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

const label = (c) => (c.name === 'this' ? 'this tree' : `--alt ${path.relative(process.cwd(), c.dir) || '.'}`);
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : '');
const pctCpu = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : '');

/**
 * `--child <dir> <rate> <seconds>`: the scheduler alone, loaded from <dir>/dist, in a process of its own: bundles
 * of one message scheduled at `rate` a second (0: one an hour ahead), each due 50-600 ms ahead, released to a
 * callback that does nothing but note the time. Prints its CPU (process.cpuUsage) and the lateness as JSON.
 */
async function child(dir, rate, seconds) {
  const { BundleScheduler } = require(path.join(dir, 'dist', 'osc', 'scheduler.js'));
  const late = [];
  const s = new BundleScheduler({ maxQueue: 100000, onDue: (m, info) => late.push(wallNow() - info.due) });
  const timetag = (ms) => {
    const whole = Math.floor(ms / 1000);
    return {
      seconds: whole + NTP_UNIX_OFFSET,
      fraction: Math.min(2 ** 32 - 1, Math.round(((ms - whole * 1000) / 1000) * 2 ** 32)),
    };
  };
  const message = { address: '/x', args: [{ type: 'i', value: 1 }] };
  const add = (ms) => s.schedule({ timetag: timetag(ms), packets: [message] });
  const t0 = wallNow();
  let sent = 0;
  let timer = null;
  if (rate === 0)
    add(t0 + 1800e3); // well inside the default horizon of an hour
  else {
    timer = setInterval(
      () => {
        const target = Math.floor((wallNow() - t0) * (rate / 1000)) + 1;
        for (; sent < target; sent++) add(wallNow() + AHEAD_MS[0] + Math.random() * (AHEAD_MS[1] - AHEAD_MS[0]));
      },
      Math.min(1000 / rate, 50),
    );
    await sleep(AHEAD_MS[1]);
  }
  late.length = 0;
  const c0 = process.cpuUsage();
  const w0 = wallNow();
  await sleep(seconds * 1000);
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1000 / (wallNow() - w0);
  if (timer) clearInterval(timer);
  s.close();
  process.stdout.write(JSON.stringify({ rate, cpu, late: stats(late) }));
}

/** The scheduler alone (see child()) for each build, alternating, o.cpuRepeats times per rate. */
async function alone(dirs, o) {
  const { execFileSync } = require('node:child_process');
  const out = {};
  for (const rate of [0, 1, 1000]) {
    for (let k = 0; k < o.cpuRepeats; k++) {
      for (const [name, dir] of k % 2 === 0 ? dirs : [...dirs].reverse()) {
        const r = JSON.parse(
          execFileSync(process.execPath, [__filename, '--child', dir, String(rate), String(o.cpuSeconds)]).toString(),
        );
        (out[name] ??= []).push(r);
        console.log(
          `  ${name.padEnd(4)} ${String(rate).padStart(4)}/s: CPU ${pctCpu(r.cpu)} of a core` +
            (rate ? `; late p50 ${f3(r.late.p50Ms)} p95 ${f3(r.late.p95Ms)} ms, min ${f3(r.late.minMs)}` : ''),
        );
      }
    }
  }
  return out;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const info = machine();
  info.wallClockVsTimeOriginMs = originSkew();
  console.log(
    `schedule benchmark: ${info.nproc} cores, ${info.cpu}, Node ${info.node}, Node-RED ${info.nodeRed}, load ${info.loadavg.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const recv = new Receiver();
  await recv.open();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oscflow-schedule-'));
  const chains = [];
  const stopAll = async () => {
    focus(chains, undefined);
    await Promise.allSettled(chains.map((c) => c.red.stop()));
    for (const c of chains) c.sock.close();
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      console.log(`\n${sig}: stopping`);
      const done = () => process.exit(130);
      stopAll().then(done, done);
    });
  }
  const started = Date.now();
  try {
    chains.push(await startChain('this', root, recv, dir));
    if (o.alt) chains.push(await startChain('alt', o.alt, recv, dir));
    const results = Object.fromEntries(chains.map((c) => [c.name, { dir: c.dir, rounds: [], cpu: [] }]));

    // A round each to warm up, not counted.
    for (const c of chains) {
      focus(chains, c);
      await round(c, recv, dir);
    }
    console.log(
      `\nlateness: ${o.rounds} rounds of ${BUNDLES_PER_ROUND} bundles, ${AHEAD_MS[0]}-${AHEAD_MS[1]} ms ahead, chains alternating`,
    );
    for (let k = 0; k < o.rounds; k++) {
      const order = k % 2 === 0 ? chains : [...chains].reverse();
      for (const c of order) {
        focus(chains, c);
        const r = await round(c, recv, dir);
        results[c.name].rounds.push(r);
        const s = stats(r.late);
        console.log(
          `  round ${String(k + 1).padStart(2)} ${c.name.padEnd(4)} late p50 ${f3(s.p50Ms)} p95 ${f3(s.p95Ms)} max ${f3(s.maxMs)} ms, min ${f3(s.minMs)}${r.lost ? `, ${r.lost} lost` : ''}`,
        );
      }
    }

    if (o.cpu) {
      // Nothing due and one bundle a second: every runtime at once, over the same seconds (they hardly load the
      // machine, and so see the same neighbours). 1,000 a second: one at a time, alternating, o.cpuRepeats times.
      console.log(
        `\nCPU: nothing due and 1 bundle/s in all runtimes at once, 1,000 bundles/s one at a time; ${o.cpuRepeats} x ${o.cpuSeconds} s each`,
      );
      const show = (r) =>
        console.log(
          `  ${r.chain.padEnd(4)} ${String(r.rate).padStart(4)}/s: CPU ${pctCpu(r.cpu)} of a core` +
            (r.late
              ? `; late p50 ${f3(r.late.p50Ms)} p95 ${f3(r.late.p95Ms)} max ${f3(r.late.maxMs)} ms, min ${f3(r.late.minMs)}, lost ${r.lost}`
              : ''),
        );
      focus(chains, undefined);
      for (const rate of [0, 1]) {
        for (let k = 0; k < o.cpuRepeats; k++) {
          for (const r of await cpuRun(chains, recv, rate, o.cpuSeconds)) {
            results[r.chain].cpu.push(r);
            show(r);
          }
        }
      }
      for (let k = 0; k < o.cpuRepeats; k++) {
        for (const c of k % 2 === 0 ? chains : [...chains].reverse()) {
          focus(chains, c);
          const [r] = await cpuRun([c], recv, 1000, o.cpuSeconds);
          results[c.name].cpu.push(r);
          show(r);
        }
      }
    }
    focus(chains, undefined);
    let aloneResults = null;
    if (o.cpu) {
      // The runtimes stay up but idle (they hold nothing); each measurement runs in a process of its own.
      console.log(`\nThe scheduler alone, no Node-RED: ${o.cpuRepeats} x ${o.cpuSeconds} s per rate, alternating`);
      aloneResults = await alone(
        chains.map((c) => [c.name, c.dir]),
        o,
      );
    }
    info.loadavgEnd = os.loadavg();

    const rows = [];
    for (const c of chains) {
      const rs = results[c.name].rounds;
      const late = stats(rs.flatMap((r) => r.late));
      const inside = stats(rs.flatMap((r) => r.inside));
      const rtt = stats(rs.flatMap((r) => r.roundTrip));
      // The median over the rounds of each round's p95: a neighbour's burst that stalls the machine for a round
      // moves that round's figures, not the median (the pooled figures show it).
      const roundP95 = median(rs.map((r) => stats(r.late).p95Ms));
      const insideRoundP95 = median(rs.map((r) => stats(r.inside).p95Ms));
      results[c.name].summary = {
        late,
        inside,
        roundTrip: rtt,
        roundP95,
        insideRoundP95,
        lost: rs.reduce((a, r) => a + r.lost, 0),
      };
      rows.push([
        label(c),
        late.n,
        results[c.name].summary.lost,
        late.early,
        f3(late.minMs),
        f3(late.p50Ms),
        f3(roundP95),
        f3(late.p95Ms),
        f3(late.maxMs),
        inside.early,
        f3(inside.minMs),
        f3(inside.p50Ms),
        f3(insideRoundP95),
        f3(rtt.p50Ms),
        f3(rtt.p95Ms),
      ]);
    }
    let text = table(
      `Release lateness (ms): ${o.rounds} rounds of ${BUNDLES_PER_ROUND} bundles sent in one burst, due ${AHEAD_MS[0]}-${AHEAD_MS[1]} ms ahead in shuffled order`,
      [
        'chain',
        'bundles',
        'lost',
        'early',
        'min',
        'p50',
        'p95 (median round)',
        'p95 (pooled)',
        'max',
        'inside early',
        'inside min',
        'inside p50',
        'inside p95 (median round)',
        'round trip p50',
        'round trip p95',
      ],
      rows,
    );
    if (o.cpu) {
      const cpuRows = chains.map((c) => {
        const cpu = results[c.name].cpu;
        const at = (rate) => cpu.filter((r) => r.rate === rate);
        const k = at(1000);
        const late = stats(k.flatMap((r) => r.lateMs));
        results[c.name].cpuSummary = {
          nothingDue: median(at(0).map((r) => r.cpu)),
          onePerSecond: median(at(1).map((r) => r.cpu)),
          thousandPerSecond: median(k.map((r) => r.cpu)),
          thousandPerSecondRuns: k.map((r) => r.cpu),
          lateAtThousand: late,
          lostAtThousand: k.reduce((a, r) => a + r.lost, 0),
        };
        const sum = results[c.name].cpuSummary;
        const runs = (rs) => `${pctCpu(median(rs.map((r) => r.cpu)))} (${rs.map((r) => pctCpu(r.cpu)).join(', ')})`;
        return [
          label(c),
          runs(at(0)),
          runs(at(1)),
          runs(k),
          f3(late.p50Ms),
          f3(median(k.map((r) => r.late.p95Ms))),
          String(late.early),
          String(sum.lostAtThousand),
        ];
      });
      text +=
        '\n\n' +
        table(
          'CPU of the Node-RED process (all threads, % of one core: the median of the runs, each in brackets) and lateness at 1,000 bundles/s (ms)',
          [
            'chain',
            'nothing due',
            '1 bundle/s',
            '1,000 bundles/s',
            'late p50',
            'late p95 (median run)',
            'early',
            'lost',
          ],
          cpuRows,
        );
      if (chains.length === 2) {
        const [a, b] = chains.map((c) => results[c.name].cpuSummary);
        const diff = (key) => `${(100 * (a[key] - b[key])).toFixed(2)} points`;
        text += `\n\nThis tree minus --alt: nothing due ${diff('nothingDue')}, 1 bundle/s ${diff('onePerSecond')}, 1,000 bundles/s ${diff('thousandPerSecond')} of a core.`;
      }
    }
    if (aloneResults) {
      const row = (name) => {
        const rs = aloneResults[name];
        const cpu = (rate) => median(rs.filter((r) => r.rate === rate).map((r) => r.cpu));
        const k = rs.filter((r) => r.rate === 1000);
        return [
          label(chains.find((c) => c.name === name)),
          pctCpu(cpu(0)),
          pctCpu(cpu(1)),
          pctCpu(cpu(1000)),
          f3(median(k.map((r) => r.late.p50Ms))),
          f3(median(k.map((r) => r.late.p95Ms))),
          String(rs.reduce((a, r) => a + r.late.early, 0)),
        ];
      };
      text +=
        '\n\n' +
        table(
          'The scheduler alone, without Node-RED: CPU of its process (% of one core, median of the runs) and lateness at 1,000 bundles/s (ms, median of the runs)',
          ['chain', 'nothing due', '1 bundle/s', '1,000 bundles/s', 'late p50', 'late p95', 'early'],
          chains.map((c) => row(c.name)),
        );
      results.alone = aloneResults;
    }
    console.log(`\n${text}`);
    console.log(
      `\n${info.nproc} x ${info.cpu}, Node ${info.node}, Node-RED ${info.nodeRed}; load average ${info.loadavg[0].toFixed(2)} at start, ` +
        `${info.loadavgEnd[0].toFixed(2)} at end; ${((Date.now() - started) / 1000).toFixed(0)} s. Lateness is arrival here minus timetag on ` +
        "this process's wall clock; \"inside\" is osc-out's send in the runtime minus timetag on the runtime's wall clock.",
    );
    const file = writeResults('schedule', { machine: info, options: o, results, table: text });
    console.log(`results: ${path.relative(root, file)}`);
  } finally {
    await stopAll();
    recv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3], Number(process.argv[4]), Number(process.argv[5])).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
