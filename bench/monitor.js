'use strict';
// `npm run bench:monitor`: what the live monitor costs the runtime, at a given rate (default 20,000 msgs/s) over
// 127.0.0.1. One UDP endpoint with a receiver (as osc in holds it) in this process, the monitor's runtime side
// (MonitorService, with the admin API and comms replaced by counters: a batch is JSON-encoded once, as Node-RED's
// comms does per editor), and a sender in a child process. Three phases of --seconds each:
//   idle     nobody watches: no tap (the message path as without a monitor)
//   watched  one editor subscribed, "by address" view: every packet decoded and counted, batches at 10 a second
//   watched, log   the same with the log view (up to 200 messages a batch)
//   churn    watched, and every message to a new address (the row caps and eviction at work)
// For each: this process's CPU (% of one core, and per message received), messages received, datagrams the
// kernel dropped (a burst beyond the receive buffer: the sender catches up after a late timer), heap after a full GC at the start and the end,
// and the largest heap seen; for the watched phases the batches and bytes sent to the editor.
// Options: --rate N  --seconds N  --addresses N (distinct addresses in the watched phase, default 64)
// Absolute numbers depend on the machine and its neighbours; compare the phases of one run.
const { fork } = require('node:child_process');
const dgram = require('node:dgram');
const path = require('node:path');
const { EventEmitter } = require('node:events');
const v8 = require('node:v8');
const vm = require('node:vm');

const dist = path.resolve(__dirname, '..', 'dist');

function parseArgs(argv) {
  const o = { rate: 20000, seconds: 5, addresses: 64 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in o)) throw new Error(`unknown option ${argv[i]}`);
    o[k] = Number(argv[++i]);
    if (!(o[k] > 0)) throw new Error(`--${k} needs a positive number`);
  }
  return o;
}

// ---------------------------------------------------------------- the sender (child process)

function sender() {
  const { encodePacket } = require(path.join(dist, 'osc', 'codec'));
  const sock = dgram.createSocket('udp4');
  let timer;
  let n = 0;
  process.on('message', (/** @type {any} */ m) => {
    clearInterval(timer);
    if (m.stop) {
      process.send({ sent: n });
      return;
    }
    const { port, rate, addresses, churn } = m;
    n = 0;
    const start = performance.now();
    // Every few ms, as many as the rate asks by now (a late timer catches up), at most a second's worth.
    timer = setInterval(() => {
      const due = Math.min(Math.floor(((performance.now() - start) * rate) / 1000) - n, rate);
      for (let i = 0; i < due; i++, n++) {
        const address = churn ? `/churn/${n}` : `/mix/${n % addresses}/fader`;
        const args = n % 8 === 0 ? [{ type: 's', value: `scene ${n}` }, n] : [{ type: 'f', value: (n % 1000) / 1000 }];
        sock.send(encodePacket({ address, args }), port, '127.0.0.1');
      }
    }, 5);
  });
  process.on('disconnect', () => {
    clearInterval(timer);
    sock.close();
  });
}

// ---------------------------------------------------------------- the measuring side

const gc = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
})();

function heapMiB() {
  return process.memoryUsage().heapUsed / 1048576;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const { udpEndpointHolder } = require(path.join(dist, 'transport', 'udp'));
  const { MonitorService, TOPIC } = require(path.join(dist, 'nodes', 'monitor'));

  let received = 0;
  const holder = udpEndpointHolder({ localAddress: '127.0.0.1', localPort: 0, ipv: 'udp4' }).describe({
    id: 'bench',
    name: 'bench',
  });
  const handle = await new Promise((resolve, reject) => {
    const h = holder.register({
      onMessage() {
        received++;
      },
      onStateChange(ep) {
        if (ep.state === 'open') resolve(h);
        else if (ep.state === 'failed') reject(ep.error);
      },
    });
  });
  const port = Number(/:(\d+)$/.exec(handle.endpoint.label)[1]);

  // Node-RED's side, counted: the admin routes are not used (subscribe() directly), comms is an emitter.
  const events = new EventEmitter();
  let batches = 0;
  let bytes = 0;
  events.on('comms', (e) => {
    if (e.topic !== TOPIC) return;
    batches++;
    bytes += JSON.stringify(e.data).length;
  });
  const monitor = new MonitorService({
    httpAdmin: { post() {} },
    auth: { needsPermission: () => () => {} },
    events,
  });

  const child = fork(__filename, ['--sender'], { stdio: 'inherit' });

  async function phase(name, { watch, churn, log = false }) {
    let lease;
    if (watch) {
      lease = monitor.subscribe({ log }).lease;
      monitor.attach(lease, 'bench-editor');
    }
    child.send({ port, rate: o.rate, addresses: o.addresses, churn });
    // A second to reach the steady state, then measured.
    await new Promise((r) => setTimeout(r, 1000));
    gc();
    const heapStart = heapMiB();
    let heapMax = heapStart;
    const r0 = received;
    const d0 = handle.endpoint.status().counters.kernelDrops ?? 0;
    const b0 = batches;
    const y0 = bytes;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const sampler = setInterval(() => (heapMax = Math.max(heapMax, heapMiB())), 100);
    await new Promise((r) => setTimeout(r, o.seconds * 1000));
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpu0);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const sentReply = new Promise((r) => child.once('message', (/** @type {any} */ m) => r(m.sent)));
    child.send({ stop: true });
    const sent = await sentReply;
    const msgs = received - r0;
    const drops = (handle.endpoint.status().counters.kernelDrops ?? 0) - d0;
    const b = batches - b0;
    const y = bytes - y0;
    const taps = handle.endpoint.tapCount;
    if (lease) monitor.unsubscribe(lease);
    await new Promise((r) => setTimeout(r, 300));
    gc();
    return {
      phase: name,
      taps,
      // The sender counts from its start, a second before the measurement.
      'sent/s': Math.round(sent / (secs + 1)),
      'msgs/s': Math.round(msgs / secs),
      'kernel drops': drops,
      'cpu %': Math.round(((cpu.user + cpu.system) / 1e4 / secs) * 10) / 10,
      // CPU per message received: steadier than the percentage on a machine shared with others.
      'µs/msg': Math.round(((cpu.user + cpu.system) / msgs) * 100) / 100,
      'heap start MiB': heapStart.toFixed(1),
      'heap max MiB': heapMax.toFixed(1),
      'heap end MiB': heapMiB().toFixed(1),
      'batches/s': Math.round((b / secs) * 10) / 10,
      'editor kB/s': Math.round(y / secs / 1024),
    };
  }

  const rows = [];
  rows.push(await phase('idle', { watch: false, churn: false }));
  rows.push(await phase('watched', { watch: true, churn: false }));
  rows.push(await phase('watched, log', { watch: true, churn: false, log: true }));
  rows.push(await phase('churn', { watch: true, churn: true }));
  rows.push(await phase('idle again', { watch: false, churn: false }));
  child.disconnect();
  await handle.release();
  monitor.close();
  console.log(`monitor cost at ${o.rate} msgs/s sent, ${o.seconds} s per phase, ${o.addresses} addresses when watched`);
  console.table(rows);
}

if (process.argv.includes('--sender')) sender();
else
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
