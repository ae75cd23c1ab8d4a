'use strict';
// Issue 8 in a real Node-RED (a child process, as users run it), fed by a hostile sender in another process:
// the runtime stays up, every valid message arrives in order, the status counts what was refused, the log stays
// short; 100 redeploys under traffic leak no socket; a multicast group or interface that does not exist is an
// error at deploy, not a crash. The numbers each test measured are printed, for the README.
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const { spawn } = require('node:child_process');
const path = require('node:path');
const codec = require('../dist/osc/codec');
const { startNodeRed } = require('./helpers/node-red-child');

const linux = process.platform === 'linux';

function receiver() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

async function freeUdpPort() {
  const s = await receiver();
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

const senders = new Set();

/** Runs the hostile sender child to completion (or until stop()); resolves with what it sent. */
function runSender(options) {
  let child;
  const done = new Promise((resolve, reject) => {
    child = spawn(process.execPath, [path.join(__dirname, 'helpers', 'hostile-sender.js'), JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('error', reject);
    senders.add(child);
    child.once('exit', (code) => {
      senders.delete(child);
      if (code !== 0) return reject(new Error(`sender exited with ${code}: ${out}`));
      resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
  done.stop = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return done;
  };
  return done;
}

/**
 * The flow under test: osc-in on a fixed port, relaying what it emits to our receiver through osc-out, and its
 * status (via a status node) as "/status <text>" messages, so the test sees from outside what a user sees.
 */
function relayFlow({ inPort, outPort, name = 'in', udp = {} }) {
  return [
    { id: 'tab1', type: 'tab', label: 'hostile' },
    { id: 'udp1', type: 'osc-udp', name: 'listen', localAddress: '127.0.0.1', localPort: inPort, ipv: 'udp4', ...udp },
    { id: 'in1', type: 'osc-in', z: 'tab1', name, endpoint: 'udp1', payloadArray: false, bundles: 'split', lenient: false, wires: [['out1']] },
    { id: 'out1', type: 'osc-out', z: 'tab1', name: 'relay', endpoint: '', host: '127.0.0.1', port: outPort, address: '', numbers: 'int', wires: [] },
    { id: 'st1', type: 'status', z: 'tab1', name: '', scope: ['in1'], wires: [['fn1']] },
    {
      id: 'fn1', type: 'function', z: 'tab1', name: 'status as OSC', outputs: 1,
      func: "msg.topic = '/status'; msg.payload = String((msg.status && msg.status.text) || ''); delete msg.osc; return msg;",
      wires: [['out1']],
    },
  ];
}

/** Collects what the relay sends us: the sequence numbers of valid messages, and the latest status text. */
function watch(socket, address = '/seq') {
  const w = { seqs: [], statuses: [], other: 0, bigBytes: 0 };
  socket.on('message', (data) => {
    let p;
    try {
      p = codec.decodePacket(data);
    } catch {
      w.other++;
      return;
    }
    if (p.address === address) {
      w.seqs.push(p.args[0].value);
      if (p.args[1] && p.args[1].type === 'b') w.bigBytes += p.args[1].value.length;
    } else if (p.address === '/status') w.statuses.push(String(p.args[0] ? p.args[0].value : ''));
    else w.other++;
  });
  w.waitStatus = (re, ms = 10000) =>
    new Promise((resolve, reject) => {
      const until = Date.now() + ms;
      const tick = () => {
        const hit = w.statuses.slice().reverse().find((s) => re.test(s));
        if (hit) return resolve(hit);
        if (Date.now() > until) return reject(new Error(`no status matching ${re}; last: ${w.statuses.slice(-3).join(' | ')}`));
        setTimeout(tick, 50);
      };
      tick();
    });
  w.waitSeqs = (n, ms = 10000) =>
    new Promise((resolve, reject) => {
      const until = Date.now() + ms;
      const tick = () => {
        if (w.seqs.length >= n) return resolve();
        if (Date.now() > until) return reject(new Error(`${w.seqs.length} of ${n} valid messages arrived`));
        setTimeout(tick, 50);
      };
      tick();
    });
  return w;
}

function inOrder(seqs) {
  for (let i = 1; i < seqs.length; i++) if (seqs[i] <= seqs[i - 1]) return false;
  return true;
}

(linux ? describe : describe.skip)('hostile traffic in a real Node-RED (child process)', function () {
  this.timeout(120000);
  let nr;
  let rx;

  afterEach(async () => {
    for (const child of senders) child.kill('SIGKILL'); // a failed test must not leave a sender flooding
    if (rx) rx.close();
    rx = undefined;
    if (nr) await nr.stop();
    nr = undefined;
  });

  it('survives a mixed flood it can keep up with: every valid message in order, the rest counted, a short log', async () => {
    rx = await receiver();
    const inPort = await freeUdpPort();
    const w = watch(rx);
    nr = await startNodeRed({ flow: relayFlow({ inPort, outPort: rx.address().port }) });
    await w.waitStatus(/^listening on /);
    const logBefore = nr.log().length;
    const rssBefore = nr.rss();

    const seconds = 4;
    const rate = 2000;
    const sent = await runSender({ host: '127.0.0.1', port: inPort, rate, seconds, validShare: 0.5, bigEvery: 100, seed: 8 });
    await w.waitSeqs(sent.valid);
    const status = await w.waitStatus(new RegExp(`· ${sent.bad} bad`));

    assert.ok(nr.alive, 'the runtime is still up');
    assert.equal(w.seqs.length, sent.valid, 'every valid message was delivered');
    assert.ok(inOrder(w.seqs), 'in the order sent');
    assert.equal(w.seqs[w.seqs.length - 1], sent.lastSeq);
    assert.equal(w.bigBytes, sent.big * 60000, 'the 60 KB messages among the small ones arrived whole');
    assert.match(status, new RegExp(`${sent.valid} in · ${sent.bad} bad`));
    const log = nr.log().slice(logBefore);
    const errorLines = log.split('\n').filter((l) => /malformed OSC packet/.test(l));
    const summaries = log.split('\n').filter((l) => /more malformed OSC packets? in the last second/.test(l));
    // 10 reported per second, then one line summing up the rest of that second.
    assert.ok(errorLines.length <= (seconds + 2) * 11, `${errorLines.length} log lines for ${sent.bad} bad packets`);
    assert.ok(summaries.length >= 1, 'what was not reported one by one is counted');
    const suppressed = summaries.reduce((n, l) => n + Number(/(\d+) more/.exec(l)[1]), 0);
    const reported = errorLines.length - summaries.length;
    assert.equal(reported + suppressed, sent.bad, 'every refused packet is either logged or counted in a summary');
    console.log(`      measured: ${sent.valid} valid (${sent.big} of 60 KB) + ${sent.bad} bad (${sent.malformed} malformed, ${sent.truncated} truncated, ` +
      `${sent.oversized} oversized, ${sent.random} random) at ${rate}/s for ${seconds} s: ${w.seqs.length} delivered in order, ` +
      `${errorLines.length} log lines, RSS ${(rssBefore / 1048576).toFixed(0)} -> ${(nr.rss() / 1048576).toFixed(0)} MB`);
  });

  it('sheds load above what it can keep up with, without growing memory', async () => {
    rx = await receiver();
    const inPort = await freeUdpPort();
    const w = watch(rx);
    nr = await startNodeRed({ flow: relayFlow({ inPort, outPort: rx.address().port }) });
    await w.waitStatus(/^listening on /);
    // Warm up (JIT, buffers), then measure the flood against that.
    await runSender({ host: '127.0.0.1', port: inPort, rate: 2000, seconds: 1, validShare: 1, bigEvery: 0, seed: 2 });
    const rssBefore = nr.rss();
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, nr.rss())), 100);
    // Two senders at full speed with no pacing: more than one core's worth of datagrams.
    const [a, b] = await Promise.all([
      runSender({ host: '127.0.0.1', port: inPort, rate: 0, seconds: 3, validShare: 0.7, bigEvery: 500, seed: 3 }),
      runSender({ host: '127.0.0.1', port: inPort, rate: 0, seconds: 3, validShare: 0.7, bigEvery: 500, seed: 4, address: '/seq2' }),
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    clearInterval(sampler);
    const offered = a.valid + a.bad + b.valid + b.bad;
    // Still alive and still working afterwards: a paced sender gets everything through again.
    const before = w.seqs.length;
    const after = await runSender({ host: '127.0.0.1', port: inPort, rate: 1000, seconds: 1, validShare: 1, bigEvery: 0, seed: 5, address: '/seq' });
    await w.waitSeqs(before + after.valid);
    assert.ok(nr.alive);
    const growth = peak - rssBefore;
    console.log(`      measured: ${offered} datagrams offered in 3 s (${Math.round(offered / 3)}/s), ${before} relayed (/seq only counted), ` +
      `RSS ${(rssBefore / 1048576).toFixed(0)} MB, peak +${(growth / 1048576).toFixed(0)} MB`);
    assert.ok(growth < 100 * 1048576, `RSS grew ${(growth / 1048576).toFixed(0)} MB under the flood`);
  });

  it('redeploys 100 times under traffic (full and modified-nodes) without leaking a socket or "address in use"', async () => {
    rx = await receiver();
    const inPort = await freeUdpPort();
    const w = watch(rx);
    const outPort = rx.address().port;
    nr = await startNodeRed({ flow: relayFlow({ inPort, outPort }) });
    await w.waitStatus(/^listening on /);
    const fdsBefore = nr.fds();
    const udpBefore = nr.udpSockets();
    const traffic = runSender({ host: '127.0.0.1', port: inPort, rate: 500, seconds: 90, validShare: 0.8, bigEvery: 0, seed: 6 });
    const t0 = Date.now();
    let deploys = 0;
    for (let i = 0; i < 100; i++) {
      // Odd rounds change only osc-in (a modified-nodes deploy restarts just it); even rounds restart everything.
      await nr.deploy(relayFlow({ inPort, outPort, name: `in ${i}` }), i % 2 ? 'nodes' : 'full');
      deploys++;
      assert.ok(nr.alive, `runtime down after deploy ${i}`);
    }
    const deployMs = Date.now() - t0;
    // Traffic still flows after the last deploy.
    const seen = w.seqs.length;
    await new Promise((resolve, reject) => {
      const until = Date.now() + 10000;
      const tick = () => (w.seqs.length > seen + 50 ? resolve() : Date.now() > until ? reject(new Error('no traffic after redeploys')) : setTimeout(tick, 50));
      tick();
    });
    const fdsAfter = nr.fds();
    const udpAfter = nr.udpSockets();
    const log = nr.log();
    assert.doesNotMatch(log, /EADDRINUSE|in use/i);
    assert.doesNotMatch(log, /uncaught|TypeError|unhandled/i);
    assert.equal(udpAfter.length, udpBefore.length, `UDP sockets before ${JSON.stringify(udpBefore)}, after ${JSON.stringify(udpAfter)}`);
    assert.ok(udpAfter.some((s) => s.port === inPort), 'the listening socket is back on its port');
    assert.ok(fdsAfter.total <= fdsBefore.total + 4, `fds ${fdsBefore.total} -> ${fdsAfter.total}`);
    const sent = await traffic.stop();
    console.log(`      measured: ${deploys} deploys in ${(deployMs / 1000).toFixed(1)} s (${Math.round(deployMs / deploys)} ms each) under ${sent.valid + sent.bad} datagrams; ` +
      `fds ${fdsBefore.total} -> ${fdsAfter.total}, UDP sockets ${udpBefore.length} -> ${udpAfter.length}; ${w.seqs.length} of ${sent.valid} valid delivered`);
  });

  it('reports a multicast group or interface that does not exist at deploy, and keeps running', async () => {
    rx = await receiver();
    const outPort = rx.address().port;
    const w = watch(rx);
    nr = await startNodeRed({ flow: relayFlow({ inPort: await freeUdpPort(), outPort, udp: { multicastGroup: '239.1.2.3', multicastInterface: 'nosuch0' } }) });
    const noIface = await w.waitStatus(/interface|nosuch0/i);
    await nr.waitLog(/no network interface named "nosuch0"/);
    assert.ok(nr.alive);

    await nr.deploy(relayFlow({ inPort: await freeUdpPort(), outPort, udp: { multicastGroup: '10.1.2.3' } }));
    const notGroup = await w.waitStatus(/multicast 10\.1\.2\.3/);
    await nr.waitLog(/cannot join multicast group 10\.1\.2\.3/);
    assert.ok(nr.alive);

    // An interface address this machine does not have.
    await nr.deploy(relayFlow({ inPort: await freeUdpPort(), outPort, udp: { multicastGroup: '239.1.2.3', multicastInterface: '192.0.2.77' } }));
    const notOurs = await w.waitStatus(/multicast 239\.1\.2\.3|not available|192\.0\.2\.77/);
    assert.ok(nr.alive);

    // And a correct deploy afterwards works.
    const inPort = await freeUdpPort();
    await nr.deploy(relayFlow({ inPort, outPort }));
    await w.waitStatus(new RegExp(`^listening on 127\\.0\\.0\\.1:${inPort}`));
    console.log(`      statuses: "${noIface}", "${notGroup}", "${notOurs}"`);
  });
});
