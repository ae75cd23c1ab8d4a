'use strict';
// `npm run bench:flow`: OSC through a real Node-RED, end to end over 127.0.0.1, for each chain in one run:
//   loopback   the generator sending to its own receiver: what the measuring side itself can do
//   raw        a plain Node.js dgram relay, no decoding (the ceiling)
//   empty      Node-RED udp in -> udp out: the runtime's own per-message cost, no OSC at all
//   empty3     udp in -> change (no rules) -> udp out: the runtime with as many nodes and hand-offs as ours
//   incumbent  udp in -> osc (node-red-contrib-osc) -> switch on topic -> osc -> udp out
//   ours       osc-in -> osc-route -> osc-out
//   inout      osc-in -> osc-out (bundles only): ours without the router, the floor of our chain
//   query      ours with an osc-query declaring the traffic's address; querymiss: declaring others (on request)
// For each: the highest rate sustained with under 0.1% loss (a coarse ramp, then a binary search), latency at
// 1,000 msgs/s, and for ours the RSS of Node-RED over a run at its sustained rate. Messages and 16-message bundles.
// Options: --quick (short steps: a smoke check), --chains a,b  --modes message,bundle  --no-mem  --mem-all
//          --no-search (only latency and CPU per message: a quick A/B of a change)
//          --profile <chain> [--rate N] [--seconds N]  (a CPU profile of the Node-RED child under load)
//          --inside  (at 1,000 msgs/s: how much of each chain's latency is spent inside the runtime, how long msgs
//                    wait between nodes, and how many a scavenge delayed; see inside-preload.js; --modes bundle for
//                    bundles) [--after-idle: measured after 15 s idle] [--seconds N: default 8]
//          --alt <dir>  adds the chain "alt": ours, loaded from a copy of the package in <dir> (package.json and
//                       dist/), to measure a candidate change side by side with the current code
// Latency (at 1,000 msgs/s, steady and after 15 s idle) and CPU per message are measured one chain at a time, each
// in a process started for it. For the sustained rate every chain's process is started up front, but only the one
// being measured runs: the others are stopped (SIGSTOP) meanwhile, so that their idle-time work (V8 shrinking the
// heap) does not land in its numbers.
// Results go to bench/results/flow-<time>.json. Absolute numbers depend on the machine and its neighbours:
// compare the ratios, measured side by side in the same run.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { LoadGen, sleep } = require('./loadgen');
const { FLOWS } = require('./flows');
const { startNodeRed, rssOf } = require('./node-red');
const { summarizeProfile, printProfile } = require('./profile');
const { machine, cpuSecondsOf, machineTicks, freeUdpPort, table, writeResults } = require('./common');

const root = path.resolve(__dirname, '..', '..');
const ALL_CHAINS = ['loopback', 'raw', 'empty', 'empty3', 'incumbent', 'ours', 'inout', 'query', 'querymiss', 'alt'];
// query, querymiss: ours with an osc-query on the endpoint (#17), on request (--chains).
const DEFAULT_CHAINS = ALL_CHAINS.filter((c) => c !== 'alt' && c !== 'query' && c !== 'querymiss');
const LOSS_LIMIT = 0.001;
const COST_RATE = 10000;
/** Long enough for V8's memory reducer (it looks 8 s after a full GC) to find every runtime idle. */
const IDLE_MS = 15000;

function parseArgs(argv) {
  /**
   * @type {{ quick: boolean, chains: string[], modes: string[], mem: boolean, memAll: boolean, search: boolean,
   *   profile?: string, rate?: number, seconds?: number, start?: number, alt?: string, rcvbuf?: number,
   *   inside?: boolean, afterIdle?: boolean }}
   */
  const o = {
    quick: false,
    chains: DEFAULT_CHAINS,
    modes: ['message', 'bundle'],
    mem: true,
    memAll: false,
    search: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--chains') o.chains = argv[++i].split(',');
    else if (a === '--modes') o.modes = argv[++i].split(',');
    else if (a === '--no-mem') o.mem = false;
    else if (a === '--no-search') o.search = false;
    else if (a === '--mem-all') o.memAll = true;
    else if (a === '--profile') o.profile = argv[++i];
    else if (a === '--rate') o.rate = Number(argv[++i]);
    else if (a === '--seconds') o.seconds = Number(argv[++i]);
    else if (a === '--start') o.start = Number(argv[++i]);
    else if (a === '--alt') o.alt = path.resolve(argv[++i]);
    else if (a === '--relay-rcvbuf') o.rcvbuf = Number(argv[++i]);
    else if (a === '--inside') o.inside = true;
    else if (a === '--after-idle') o.afterIdle = true;
    else throw new Error(`unknown option ${a}`);
  }
  for (const c of o.chains) if (!ALL_CHAINS.includes(c)) throw new Error(`unknown chain ${c}`);
  if (o.alt && !o.chains.includes('alt')) o.chains = [...o.chains, 'alt'];
  if (o.chains.includes('alt') && !o.alt) throw new Error('the chain "alt" needs --alt <dir>');
  const timing = o.quick
    ? {
        stepMs: 1000,
        drainMs: 300,
        factor: 2,
        resolution: 0.25,
        latencyMs: 2000,
        costMs: 1000,
        memMs: 10000,
        retries: 0,
      }
    : {
        stepMs: 2000,
        drainMs: 400,
        factor: 1.6,
        resolution: 0.06,
        latencyMs: 10000,
        costMs: 3000,
        memMs: 60000,
        retries: 1,
      };
  return { ...o, ...timing, start: o.start || 8000 };
}

/**
 * Datagrams the kernel dropped at UDP sockets bound to this local port (a full receive buffer), from the drops
 * column of /proc/net/udp: tells loss at the chain's input from loss at the generator's receiver.
 */
function udpDrops(port) {
  let drops = 0;
  try {
    const hex = ':' + port.toString(16).toUpperCase().padStart(4, '0');
    for (const line of fs.readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 12 && cols[1].endsWith(hex)) drops += Number(cols[cols.length - 1]);
    }
  } catch {
    return NaN;
  }
  return drops;
}

async function startRelay(targetPort, mode, rcvbuf) {
  const args = [
    path.join(__dirname, 'relay.js'),
    String(targetPort),
    mode === 'bundle' ? 'split' : 'whole',
    String(rcvbuf || ''),
  ];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error('relay exited')));
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    pid: child.pid,
    port,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function startTarget(chain, mode, gen, o, extra = {}) {
  if (chain === 'loopback') return { pid: null, port: gen.port, async stop() {} };
  if (chain === 'raw') return startRelay(gen.port, mode, o.rcvbuf);
  const inPort = await freeUdpPort();
  const flow = FLOWS[chain === 'alt' ? 'ours' : chain]({ inPort, outPort: gen.port, mode });
  const red = startNodeRed({
    flow,
    withOurs: chain === 'ours' || chain === 'alt' || chain === 'inout' || chain === 'query' || chain === 'querymiss',
    oursDir: chain === 'alt' ? o.alt : undefined,
    cpuProfDir: extra.cpuProfDir,
    insideDir: extra.insideDir,
  });
  return { pid: red.pid, port: inPort, red, stop: () => red.stop() };
}

async function measure(gen, target, opts) {
  const cpu0 = target.pid ? cpuSecondsOf(target.pid) : NaN;
  const inDrops0 = udpDrops(target.port);
  const genDrops0 = udpDrops(gen.port);
  const m0 = machineTicks();
  const t0 = process.hrtime.bigint();
  const r = await gen.run(opts);
  const m1 = machineTicks();
  // Loopback delivery runs in softirq, charged to no process: only the machine's total shows a saturated CPU.
  r.machineBusy = (m1.busy - m0.busy) / (m1.total - m0.total);
  r.machineSoftirq = (m1.softirq - m0.softirq) / (m1.total - m0.total);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  r.droppedAtInput = target.port === gen.port ? 0 : udpDrops(target.port) - inDrops0;
  r.droppedAtGenerator = udpDrops(gen.port) - genDrops0;
  r.targetCpuSeconds = target.pid ? cpuSecondsOf(target.pid) - cpu0 : null;
  r.targetCpu = target.pid ? r.targetCpuSeconds / wall : null;
  r.ok = r.loss < LOSS_LIMIT && r.achievedRate >= 0.98 * opts.rate;
  r.generatorBound = r.achievedRate < 0.98 * opts.rate;
  return r;
}

function fmtRate(n) {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(Math.round(n));
}

/** Latency at 1,000 msgs/s: a lead-in at that rate, then `slices` one-second slices in a row. */
async function latencyRun(gen, target, o, mode, slices, leadInMs) {
  await gen.target(target.port);
  await gen.run({ rate: 1000, durationMs: leadInMs, drainMs: 50, mode });
  const parts = [];
  for (let k = 0; k < slices; k++) {
    parts.push(
      await measure(gen, target, {
        rate: 1000,
        durationMs: o.latencyMs / slices,
        drainMs: o.drainMs,
        mode,
        keepLatencies: true,
      }),
    );
  }
  return mergeLatency(parts);
}

/** One latency result from several slices of the same rate: percentiles over all their messages. */
function mergeLatency(parts) {
  const n = parts.reduce((a, p) => a + p.latencies.length, 0);
  const all = new Float64Array(n);
  let off = 0;
  for (const p of parts) {
    all.set(p.latencies, off);
    off += p.latencies.length;
  }
  all.sort();
  const pct = (q) => (n ? all[Math.min(n - 1, Math.floor((q / 100) * n))] : NaN);
  const sent = parts.reduce((a, p) => a + p.sent, 0);
  // The headline p99 is the median of the slices' p99s: one slice hit by a neighbour's burst would otherwise
  // decide the pooled p99 alone, and the p99 ratio between chains with it.
  const sliceP99 = parts.map((p) => p.p99Ms).sort((a, b) => a - b);
  const mid = sliceP99.length >> 1;
  const medianP99 = sliceP99.length % 2 ? sliceP99[mid] : (sliceP99[mid - 1] + sliceP99[mid]) / 2;
  return {
    rate: parts[0].rate,
    slices: parts.length,
    sent,
    received: n,
    loss: 1 - n / sent,
    p50Ms: pct(50),
    p99Ms: medianP99,
    pooledP99Ms: pct(99),
    sliceP99Ms: sliceP99,
    maxMs: n ? all[n - 1] : NaN,
  };
}

/**
 * Waits until the process is idle again: an overloaded chain works off its backlog after the step has ended,
 * and that must not eat into the next step, which may be another chain's.
 */
async function settle(target, maxMs = 5000) {
  const t0 = Date.now();
  await sleep(200);
  if (!target.pid) return;
  while (Date.now() - t0 < maxMs) {
    const c0 = cpuSecondsOf(target.pid);
    await sleep(200);
    if (!(cpuSecondsOf(target.pid) - c0 > 0.02)) return;
  }
}

async function tryRate(gen, chain, target, o, mode, rate, log) {
  let r;
  focus(target);
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    await gen.target(target.port);
    r = await measure(gen, target, { rate, durationMs: o.stepMs, drainMs: o.drainMs, mode });
    r.attempt = attempt + 1;
    log.push(r);
    console.log(
      `    ${chain.padEnd(9)} ${fmtRate(rate).padStart(7)} msgs/s: ${r.ok ? 'ok  ' : 'LOSS'} loss ${(r.loss * 100).toFixed(3)}%` +
        ` p99 ${r.p99Ms.toFixed(2)} ms, generator ${fmtRate(r.achievedRate)}/s (${(r.generatorCpu * 100).toFixed(0)}% cpu)` +
        (r.targetCpu !== null ? `, relay ${(r.targetCpu * 100).toFixed(0)}% cpu` : '') +
        `, machine ${(r.machineBusy * 100).toFixed(0)}% busy (softirq ${(r.machineSoftirq * 100).toFixed(0)}%)` +
        (r.generatorBound ? ' [generator behind]' : '') +
        (r.ok ? '' : ` [dropped: ${r.droppedAtInput} at input, ${r.droppedAtGenerator} at generator]`),
    );
    await settle(target);
    // A single lossy step on a shared machine may be a neighbour's burst: one more try before calling it a limit.
    if (r.ok) break;
  }
  return r;
}

/** The search for one chain, as a generator: yields the next rate to try, is resumed with that step's result. */
function* searchSteps(o) {
  let pass = null;
  let fail = null;
  let rate = o.start;
  for (;;) {
    const r = yield rate;
    if (r.ok) {
      pass = r;
      if (fail || rate >= 1e6) break;
      rate = Math.round(rate * o.factor);
    } else {
      fail = r;
      if (pass || rate <= 250) break;
      rate = Math.round(rate / o.factor);
    }
  }
  while (pass && fail && fail.rate / pass.rate > 1 + o.resolution) {
    const r = yield Math.round(Math.sqrt(pass.rate * fail.rate));
    if (r.ok) pass = r;
    else fail = r;
  }
  return {
    sustained: pass ? pass.rate : 0,
    firstLoss: fail ? fail.rate : null,
    generatorBound: Boolean(fail && fail.generatorBound),
    atSustained: pass,
  };
}

/**
 * The searches of all chains, interleaved step by step: a neighbour's build that slows the machine for a minute
 * then hits every chain alike instead of whichever one happened to be under test, so the ratios hold.
 */
async function findSustainedAll(gen, live, o, mode) {
  const states = live.map(({ chain, target, result }) => {
    const it = searchSteps(o);
    return { chain, target, result, it, next: it.next(), log: [] };
  });
  for (;;) {
    const active = states.filter((s) => !s.next.done);
    if (active.length === 0) break;
    for (const s of active) {
      const r = await tryRate(gen, s.chain, s.target, o, mode, s.next.value, s.log);
      s.next = s.it.next(r);
    }
  }
  for (const s of states) {
    s.result.search = { ...s.next.value, steps: s.log };
    const at = s.result.search.atSustained;
    if (at && at.targetCpuSeconds !== null)
      s.result.search.cpuUsPerMsgAtSustained = (at.targetCpuSeconds * 1e6) / Math.max(1, at.received);
    console.log(`    ${s.chain.padEnd(9)} sustained: ${fmtRate(s.result.search.sustained)} msgs/s`);
  }
}

async function memoryRun(gen, target, o, rate) {
  const samples = [];
  const t0 = Date.now();
  const sample = () => samples.push({ t: (Date.now() - t0) / 1000, rss: rssOf(target.pid) });
  await gen.target(target.port);
  sample();
  const timer = setInterval(sample, 1000);
  const r = await measure(gen, target, { rate, durationMs: o.memMs, drainMs: o.drainMs, mode: 'message' });
  clearInterval(timer);
  sample();
  // Heaps and JIT code grow to a working size in the first seconds; growth after that is what would leak.
  const warm = samples.find((s) => s.t >= Math.min(5, o.memMs / 4000)) || samples[0];
  const end = samples[samples.length - 1];
  return {
    rate,
    seconds: o.memMs / 1000,
    loss: r.loss,
    rssStartMB: samples[0].rss / 2 ** 20,
    rssWarmMB: warm.rss / 2 ** 20,
    rssEndMB: end.rss / 2 ** 20,
    rssMaxMB: Math.max(...samples.map((s) => s.rss)) / 2 ** 20,
    growthMB: (end.rss - warm.rss) / 2 ** 20,
    samples,
  };
}

// The processes under test, so that an interrupted run does not leave a Node-RED or relay behind.
const running = new Set();
const paused = new Set();

/**
 * Lets only `target` run: every other chain's process is stopped (SIGSTOP) until its own turn. An idle Node-RED
 * is not idle to the CPU: a few seconds after its load ends V8 shrinks its heap with a full GC of 5-15 ms on both
 * cores, and on 2 cores that lands in the latency and the loss of whichever chain is being measured. Stopped, the
 * others cost nothing; each chain is measured as if it ran alone, as it does for a user. undefined: all run.
 * Used for the sustained-rate search only: V8 counts the time a process spent stopped as idle time, so a chain
 * resumed this way may start with a shrunk young generation, which the loss threshold hardly notices but a p99 does.
 */
function focus(target) {
  for (const t of running) {
    if (!t.pid) continue;
    const want = target === undefined || t === target;
    if (want && paused.has(t)) {
      process.kill(t.pid, 'SIGCONT');
      paused.delete(t);
    } else if (!want && !paused.has(t)) {
      process.kill(t.pid, 'SIGSTOP');
      paused.add(t);
    }
  }
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    console.log(`\n${sig}: stopping`);
    focus(undefined);
    const done = () => process.exit(130);
    Promise.allSettled([...running].map((t) => t.stop())).then(done, done);
  });
}

async function start(chain, mode, gen, o, extra) {
  const t = await startTarget(chain, mode, gen, o, extra);
  running.add(t);
  return t;
}

async function stop(t) {
  if (paused.delete(t)) process.kill(t.pid, 'SIGCONT');
  running.delete(t);
  await t.stop();
}

/**
 * loopback and empty3 are measured with single messages only: with bundles they would repeat other rows. inout is
 * measured with bundles only: with single messages empty3 already shows what the runtime costs a chain.
 */
function inMode(chain, mode) {
  if (mode === 'message') return chain !== 'inout';
  return chain !== 'loopback' && chain !== 'empty3';
}

/** Has the chain answer and lets the JIT and the sockets settle; a result that says whether it is available. */
async function warmUp(gen, chain, target, mode, warmMs) {
  focus(target);
  await gen.target(target.port);
  if (!(await gen.probe(mode))) {
    const log = target.red ? target.red.log().split('\n').slice(-15).join('\n') : '';
    console.log(`    ${chain}: no message came back, chain not available\n${log}`);
    return { chain, mode, available: false, log };
  }
  await gen.run({ rate: 2000, durationMs: warmMs, drainMs: 200, mode });
  return { chain, mode, available: true };
}

/**
 * Latency and CPU per message come first, one chain at a time: each gets a process of its own, started for it and
 * stopped after, with no other chain alive, so nothing else's idle-time work lands in its numbers and nothing
 * stops it halfway (V8 reads a process that was stopped as one that was idle, and shrinks its young generation).
 * The sustained-rate search then runs every chain of the mode at once, each in its own process, idle but for the
 * one under load: they all reply to the one generator, which tells their traffic apart by the step number.
 */
async function benchMode(gen, mode, o) {
  const chains = o.chains.filter((c) => inMode(c, mode));
  console.log(`\n${mode === 'bundle' ? '16-message bundles' : 'messages'}: ${chains.join(', ')}`);
  const results = [];
  // A slice p99 is its 10th-worst message, so one stall of the machine moves one slice, not the median.
  const slices = o.quick ? 3 : 10;
  const warmMs = o.quick ? 500 : 1500;
  for (const chain of chains) {
    const target = await start(chain, mode, gen, o);
    try {
      const result = await warmUp(gen, chain, target, mode, warmMs);
      results.push(result);
      if (!result.available) continue;
      // At a steady 1,000 msgs/s: what a runtime under continuous traffic gives.
      result.latency1k = await latencyRun(gen, target, o, mode, slices, 2000);
      // The same after the runtime sat idle: V8 then shrinks its young generation to the minimum (1 MB here) and
      // grows it back only slowly under load, so a Node-RED that waited for its show collects garbage every few
      // hundred messages for its first minutes of traffic.
      await sleep(IDLE_MS);
      result.latencyAfterIdle = await latencyRun(gen, target, o, mode, slices, 400);
      const lat = result.latency1k;
      let line =
        `    ${chain.padEnd(9)} at 1k msgs/s: p50 ${lat.p50Ms.toFixed(3)} ms, p99 ${lat.p99Ms.toFixed(3)} ms` +
        ` (pooled ${lat.pooledP99Ms.toFixed(3)}), loss ${(lat.loss * 100).toFixed(2)}%; after idle p99 ${result.latencyAfterIdle.p99Ms.toFixed(3)} ms`;
      // CPU time per message at a rate every chain handles: unlike the loss threshold, it hardly moves when a
      // neighbour steals the CPU for a few milliseconds, so its ratios are the steadiest numbers of the run.
      if (target.pid) {
        const c = await measure(gen, target, { rate: COST_RATE, durationMs: o.costMs, drainMs: o.drainMs, mode });
        result.cost = {
          rate: COST_RATE,
          loss: c.loss,
          cpuUsPerMsg: (c.targetCpuSeconds * 1e6) / Math.max(1, c.received),
        };
        line += `; CPU per message at ${fmtRate(COST_RATE)}/s: ${result.cost.cpuUsPerMsg.toFixed(1)} us`;
      }
      console.log(line);
    } finally {
      await stop(target);
    }
  }
  if (!o.search) return results;

  const measured = results.filter((r) => r.available);
  console.log(`    sustained rate: starting ${measured.map((r) => r.chain).join(', ')}`);
  const targets = await Promise.all(measured.map((r) => start(r.chain, mode, gen, o)));
  try {
    const live = [];
    for (let i = 0; i < measured.length; i++) {
      if ((await warmUp(gen, measured[i].chain, targets[i], mode, warmMs)).available) {
        live.push({ chain: measured[i].chain, target: targets[i], result: measured[i] });
      }
    }
    await findSustainedAll(gen, live, o, mode);
    for (const { chain, target, result } of live) {
      if (!(o.mem && mode === 'message' && target.pid && (chain === 'ours' || o.memAll))) continue;
      if (!(result.search.sustained > 0)) continue;
      focus(target);
      result.memory = await memoryRun(gen, target, o, result.search.sustained);
      const m = result.memory;
      console.log(
        `    ${chain.padEnd(9)} memory over ${m.seconds}s at ${fmtRate(m.rate)}/s: RSS ${m.rssWarmMB.toFixed(1)} -> ${m.rssEndMB.toFixed(1)} MB` +
          ` (growth ${m.growthMB.toFixed(1)} MB, max ${m.rssMaxMB.toFixed(1)}), loss ${(m.loss * 100).toFixed(3)}%`,
      );
    }
    return results;
  } finally {
    await Promise.all(targets.map(stop));
  }
}

function report(results, o) {
  const get = (chain, mode) => results.find((r) => r.chain === chain && r.mode === mode && r.available);
  const sus = (r) => (r && r.search ? r.search.sustained : NaN);
  const ratio = (a, b, f) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? f(a / b) : '');
  const lines = [];
  const verdicts = [];
  for (const mode of o.modes) {
    const inc = get('incumbent', mode);
    const raw = get('raw', mode);
    const rows = [];
    for (const chain of o.chains) {
      if (!inMode(chain, mode)) continue;
      const r = get(chain, mode);
      if (!r) {
        rows.push([chain, 'n/a', '', '', '', '', '', '', '', '', '', '']);
        continue;
      }
      const s = sus(r);
      rows.push([
        chain,
        r.search ? fmtRate(s) + (r.search.generatorBound ? ' (generator-bound)' : '') : '',
        ratio(s, sus(inc), (x) => x.toFixed(2) + 'x'),
        ratio(s, sus(raw), (x) => (100 * x).toFixed(0) + '%'),
        r.latency1k.p50Ms.toFixed(3),
        r.latency1k.p99Ms.toFixed(3),
        raw ? ratio(r.latency1k.p99Ms, raw.latency1k.p99Ms, (x) => x.toFixed(2) + 'x') : '',
        r.latencyAfterIdle.p99Ms.toFixed(3),
        raw ? ratio(r.latencyAfterIdle.p99Ms, raw.latencyAfterIdle.p99Ms, (x) => x.toFixed(2) + 'x') : '',
        r.cost ? r.cost.cpuUsPerMsg.toFixed(1) : '',
        r.cost && inc && inc.cost ? ratio(inc.cost.cpuUsPerMsg, r.cost.cpuUsPerMsg, (x) => x.toFixed(2) + 'x') : '',
        r.search && r.search.cpuUsPerMsgAtSustained ? r.search.cpuUsPerMsgAtSustained.toFixed(1) : '',
      ]);
    }
    const notes =
      mode === 'bundle'
        ? '\nOurs and the incumbent route and send each of the 16 messages on its own; raw cuts the bundle into 16' +
          '\ndatagrams without decoding; empty relays the bundle whole (one Node-RED msg per 16 OSC messages);' +
          '\ninout: osc in -> osc out, ours without the router.'
        : '\nloopback: the generator sending to itself (its own ceiling). empty: udp in -> udp out, the runtime alone.' +
          '\nempty3: udp in -> change (no rules) -> udp out, the runtime alone with as many nodes as ours.' +
          `\np99 after idle: the same 1,000 msgs/s after the runtime sat ${IDLE_MS / 1000} s without traffic (V8 shrinks its young generation then).`;
    lines.push(
      table(
        mode === 'bundle'
          ? 'OSC messages sent in 16-message bundles (rates count messages)'
          : 'OSC messages, one per datagram',
        [
          'chain',
          'sustained msgs/s (<0.1% loss)',
          'vs incumbent',
          'vs raw',
          'p50 ms @1k/s',
          'p99 ms @1k/s',
          'p99 vs raw',
          'p99 after idle',
          'vs raw',
          `CPU us/msg @${fmtRate(COST_RATE)}/s`,
          'msgs per CPU-s vs incumbent',
          'CPU us/msg at sustained',
        ],
        rows,
      ) + notes,
    );
    const ours = get('ours', mode);
    if (ours && inc && ours.search && inc.search) {
      const x = sus(ours) / sus(inc);
      verdicts.push(`${mode}: ours/incumbent ${x.toFixed(2)}x (target >= 2x): ${x >= 2 ? 'PASS' : 'FAIL'}`);
    }
    if (ours && inc && ours.cost && inc.cost) {
      const c = inc.cost.cpuUsPerMsg / ours.cost.cpuUsPerMsg;
      verdicts.push(
        `${mode}: CPU per message, incumbent/ours ${c.toFixed(2)}x (the steadier cross-check of the 2x target)`,
      );
    }
    if (ours && raw && ours.search && raw.search) {
      const x = sus(ours) / sus(raw);
      verdicts.push(`${mode}: ours/raw ${(100 * x).toFixed(0)}% (target >= 60%): ${x >= 0.6 ? 'PASS' : 'FAIL'}`);
    }
    if (ours && raw) {
      const l = ours.latency1k.p99Ms / raw.latency1k.p99Ms;
      verdicts.push(`${mode}: p99@1k ours/raw ${l.toFixed(2)}x (target <= 1.5x): ${l <= 1.5 ? 'PASS' : 'FAIL'}`);
      const inout = get('inout', mode);
      if (inout)
        verdicts.push(
          `${mode}: p99@1k inout/raw ${(inout.latency1k.p99Ms / raw.latency1k.p99Ms).toFixed(2)}x (not a target: ours without the router)`,
        );
      // After idle, next to three core nodes that do nothing: what the runtime alone gives a chain of our length.
      const li = ours.latencyAfterIdle.p99Ms / raw.latencyAfterIdle.p99Ms;
      const e3 = get('empty3', mode);
      verdicts.push(
        `${mode}: p99@1k after idle ours/raw ${li.toFixed(2)}x` +
          (e3
            ? `, empty3/raw ${(e3.latencyAfterIdle.p99Ms / raw.latencyAfterIdle.p99Ms).toFixed(2)}x (not a target: the runtime's young generation)`
            : ''),
      );
    }
    if (ours && ours.memory) {
      const g = ours.memory.growthMB;
      verdicts.push(
        `memory: RSS growth ${g.toFixed(1)} MB over ${ours.memory.seconds}s at ${fmtRate(ours.memory.rate)}/s (target < 10 MB): ${g < 10 ? 'PASS' : 'FAIL'}`,
      );
    }
  }
  return { text: lines.join('\n\n'), verdicts };
}

async function profile(gen, o) {
  const chain = o.profile;
  const mode = o.modes.length === 1 ? o.modes[0] : 'message';
  const rate = o.rate || 20000;
  const seconds = o.seconds || (o.quick ? 5 : 15);
  const profDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oscflow-prof-'));
  console.log(`CPU profile of Node-RED running "${chain}" (${mode}) at ${fmtRate(rate)} msgs/s for ${seconds}s`);
  const target = await start(chain, mode, gen, o, { cpuProfDir: profDir });
  let run;
  let window;
  try {
    await gen.target(target.port);
    if (!(await gen.probe(mode))) throw new Error(`chain ${chain} not available:\n${target.red.log()}`);
    await gen.run({ rate: Math.min(rate, 5000), durationMs: 1500, drainMs: 200, mode });
    const from = Date.now() - target.red.startedAt;
    run = await measure(gen, target, { rate, durationMs: seconds * 1000, drainMs: 500, mode });
    // A little inside the load, for the skew between our clock and the profile's start.
    window = [from + 200, Date.now() - target.red.startedAt - 700];
    console.log(`  loss ${(run.loss * 100).toFixed(3)}%, Node-RED ${(run.targetCpu * 100).toFixed(0)}% cpu`);
  } finally {
    await stop(target);
  }
  const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no CPU profile written');
  const prof = JSON.parse(fs.readFileSync(path.join(profDir, file), 'utf8'));
  const dest = path.join(root, 'bench', 'results', `flow-${chain}-${mode}-${Date.now()}.cpuprofile`);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(path.join(profDir, file), dest);
  fs.rmSync(profDir, { recursive: true, force: true });
  const summary = summarizeProfile(prof, root, { window, alt: chain === 'alt' ? o.alt : undefined });
  printProfile(summary);
  console.log(`\nprofile: ${path.relative(root, dest)} (open in Chrome DevTools > Performance)`);
  return { chain, mode, rate, seconds, run, summary, profileFile: dest };
}

/**
 * Latency at 1,000 msgs/s split in two: end to end as the generator sees it, and inside the runtime from the
 * datagram's 'message' event to the reply's send(). What is left is the kernel and the scheduler, the same for
 * every chain; what differs inside is the nodes' work and the waits between them.
 */
async function inside(gen, o) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oscflow-inside-'));
  const mode = o.modes.length === 1 ? o.modes[0] : 'message';
  const chains = o.chains.filter((c) => c !== 'loopback' && inMode(c, mode));
  const seconds = o.seconds || (o.quick ? 3 : 8);
  const rows = [];
  try {
    // One chain at a time, each in a process started for it, as for the main latency numbers.
    for (const chain of chains) {
      const t = await start(chain, mode, gen, o, { insideDir: dir });
      try {
        if (!(await warmUp(gen, chain, t, mode, 1500)).available) throw new Error(`chain ${chain} not available`);
        if (o.afterIdle) {
          await sleep(IDLE_MS);
          await gen.run({ rate: 1000, durationMs: 400, drainMs: 50, mode });
        }
        // Only a Node-RED has the preload; the raw relay gives the end-to-end reference alone.
        const file = t.red ? path.join(dir, `inside-${t.pid}.json`) : undefined;
        if (file) process.kill(t.pid, 'SIGWINCH');
        await sleep(100);
        const r = await gen.run({ rate: 1000, durationMs: seconds * 1000, drainMs: o.drainMs, mode });
        let ins;
        if (file) {
          process.kill(t.pid, 'SIGWINCH');
          for (let k = 0; k < 50 && !fs.existsSync(file); k++) await sleep(100);
          ins = JSON.parse(fs.readFileSync(file, 'utf8'));
        }
        rows.push({ chain, endToEnd: { p50Ms: r.p50Ms, p99Ms: r.p99Ms, loss: r.loss }, ...(ins || {}) });
      } finally {
        await stop(t);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const f = (x) => (Number.isFinite(x) ? x.toFixed(3) : '');
  const text = table(
    `Latency at 1,000 msgs/s${mode === 'bundle' ? ' in 16-message bundles' : ''} for ${seconds} s${o.afterIdle ? ` after ${IDLE_MS / 1000} s idle` : ''}, end to end and inside the runtime (ms)`,
    [
      'chain',
      'end to end p50',
      'end to end p99',
      'inside p50',
      'inside p90',
      'inside p99',
      'inside p99.9',
      'setImmediate waits per msg',
      'wait p50',
      'wait p99',
      'scavenges per 1k msgs',
      'scavenge p50',
      'msgs a scavenge delayed',
      'inside p99 without them',
      'other GC ms',
      'new space MB',
    ],
    rows.map((r) => [
      r.chain,
      f(r.endToEnd.p50Ms),
      f(r.endToEnd.p99Ms),
      r.inside ? f(r.inside.p50Ms) : '',
      r.inside ? f(r.inside.p90Ms) : '',
      r.inside ? f(r.inside.p99Ms) : '',
      r.inside ? f(r.inside.p999Ms) : '',
      r.hops ? (r.hops.n / Math.max(1, r.inside.n)).toFixed(1) : '',
      r.hops ? f(r.hops.p50Ms) : '',
      r.hops ? f(r.hops.p99Ms) : '',
      r.gc ? ((1000 * r.gc.scavenges.n) / Math.max(1, r.sent)).toFixed(1) : '',
      r.gc ? f(r.gc.scavenges.p50Ms) : '',
      r.gc ? `${(100 * r.gc.hitShare).toFixed(2)}%` : '',
      r.gc ? f(r.gc.insideWithoutHits.p99Ms) : '',
      r.gc ? r.gc.other.totalMs.toFixed(1) : '',
      r.gc ? (r.gc.newSpaceBytes / 2 ** 20).toFixed(1) : '',
    ]),
  );
  return { rows, text };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const info = machine();
  console.log(
    `flow benchmark${o.quick ? ' (quick)' : ''}: ${info.nproc} cores, ${info.cpu}, Node ${info.node}, Node-RED ${info.nodeRed}, load ${info.loadavg.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const gen = new LoadGen();
  await gen.open();
  try {
    if (o.inside) {
      const r = await inside(gen, o);
      console.log(`\n${r.text}`);
      const file = writeResults('flow-inside', { machine: info, options: o, ...r });
      console.log(`results: ${path.relative(root, file)}`);
      return;
    }
    if (o.profile) {
      const p = await profile(gen, o);
      const file = writeResults(`flow-profile-${o.profile}`, { machine: info, options: o, profile: p });
      console.log(`results: ${path.relative(root, file)}`);
      return;
    }
    const results = [];
    const started = Date.now();
    for (const mode of o.modes) results.push(...(await benchMode(gen, mode, o)));
    info.loadavgEnd = os.loadavg();
    const { text, verdicts } = report(results, o);
    console.log(`\n${text}\n\n${verdicts.join('\n')}`);
    console.log(
      `\n${info.nproc} x ${info.cpu}, Node ${info.node}, Node-RED ${info.nodeRed}; load average ${info.loadavg[0].toFixed(2)} at start, ${info.loadavgEnd[0].toFixed(2)} at end; ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    const file = writeResults('flow', { machine: info, options: o, results, table: text, verdicts });
    console.log(`results: ${path.relative(root, file)}`);
  } finally {
    gen.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
