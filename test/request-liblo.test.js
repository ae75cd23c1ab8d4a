'use strict';
// osc-request against a device made with liblo (python3-liblo, test/helpers/liblo-responder.py) that answers
// at once, slowly, out of order, twice or never: timeouts fire once each, retries resend, a thousand timed-out
// requests leave nothing behind, a redeploy with requests waiting drops them cleanly. Needs python3-liblo
// (.ci/run installs it); skipped with a message without it.
const assert = require('node:assert/strict');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');
const { spawn, spawnSync } = require('node:child_process');
const udp = require('../dist/transport/udp');
const oscRequest = require('../dist/nodes/osc-request');
const { helper, UDP_NODES, collect, waitStatus } = require('./helpers/nodes');
const { requestFlow } = require('./helpers/request-flow');

// Debian's python3-liblo is installed for the system Python, which may not be the first python3 on PATH.
const PYTHON = '/usr/bin/python3';
const RESPONDER = path.join(__dirname, 'helpers', 'liblo-responder.py');
const haveLiblo = spawnSync(PYTHON, ['-c', 'import liblo'], { stdio: 'ignore' }).status === 0;

/** Starts the liblo device; resolves with its port and a stop(). */
function startResponder() {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [RESPONDER], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout.setEncoding('utf8');
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      const m = /^(\d+)\n/.exec(text);
      if (m)
        resolve({
          port: Number(m[1]),
          stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.stdin.end()))),
        });
    });
    child.once('exit', (code) => reject(new Error(`the liblo responder exited (${code}) before it said its port`)));
  });
}

function flow(port, props = {}) {
  return requestFlow({ port: String(port), ...props });
}

const NODES = [...UDP_NODES, oscRequest];

(haveLiblo ? describe : describe.skip)('osc-request with a liblo device (python3-liblo)', function () {
  this.timeout(30000);
  let device;
  beforeEach(async () => {
    device = await startResponder();
  });
  afterEach(async () => {
    await helper.unload();
    await device.stop();
    assert.equal(udp.openEndpointCount(), 0);
  });

  /** How many /never requests the device has received, asked through the node itself. */
  async function neverCount() {
    const out = collect(helper.getNode('out'), 1);
    helper.getNode('r1').receive({ topic: '/count' });
    return (await out)[0].payload;
  }

  it("gets liblo's answer with every argument type liblo echoes", async () => {
    await helper.load(NODES, flow(device.port));
    const out = collect(helper.getNode('out'), 1);
    helper.getNode('r1').receive({ topic: '/echo', payload: [1, 2.5, 'text', true, null], types: ',ifsTN', id: 7 });
    const [msg] = await out;
    assert.equal(msg.osc.types, ',ifsTN');
    assert.deepEqual(msg.payload, [1, 2.5, 'text', true, null]);
    assert.deepEqual([msg.id, msg.port, msg.types], [7, device.port, undefined]);
  });

  it('times a slow answer out once, and does not output it when it comes', async () => {
    await helper.load(NODES, flow(device.port, { timeout: '0.1' }));
    const caught = collect(helper.getNode('caught'), 1);
    const late = collect(helper.getNode('monitor'), 1);
    const outs = [];
    helper.getNode('out').on('input', (m) => outs.push(m));
    helper.getNode('r1').receive({ topic: '/slow', payload: 400 });
    assert.equal((await caught)[0].error.code, 'TIMEOUT');
    assert.equal((await late)[0].topic, '/slow', 'the late answer reached osc in');
    assert.deepEqual(outs, [], 'and not the request node');
    // A new request is answered normally afterwards.
    const out = collect(helper.getNode('out'), 1);
    helper.getNode('r1').receive({ topic: '/echo', payload: 'after' });
    assert.equal((await out)[0].payload, 'after');
    await waitStatus(helper.getNode('r1'), /1 timeout/);
  });

  it('pairs answers that come out of order by their addresses, and outputs a double answer once', async () => {
    await helper.load(NODES, flow(device.port));
    const outs = collect(helper.getNode('out'), 2);
    const r1 = helper.getNode('r1');
    // Both wait on /ooo: first in, first out, whatever the device meant.
    r1.receive({ topic: '/ooo', payload: 'a', n: 1 });
    r1.receive({ topic: '/ooo', payload: 'b', n: 2 });
    assert.deepEqual(
      (await outs).map((m) => [m.n, m.payload]),
      [
        [1, 'b'],
        [2, 'a'],
      ],
    );

    const twice = new Promise((resolve) => {
      let n = 0;
      helper.getNode('monitor').on('input', (m) => m.topic === '/twice' && ++n === 2 && resolve());
    });
    const once = [];
    helper.getNode('out').on('input', (m) => once.push(m));
    r1.receive({ topic: '/twice', payload: 5 });
    await twice;
    // Node-RED delivers each send a turn later: let the request node's output through.
    await new Promise(setImmediate);
    // The second answer arrived after the first was output and found nobody waiting.
    assert.equal(once.length, 1);
    assert.equal(once[0].topic, '/twice');
  });

  it('resends a request `retries` times to a device that never answers, then times out', async () => {
    await helper.load(NODES, flow(device.port, { timeout: '0.05', retries: '3' }));
    const caught = collect(helper.getNode('caught'), 1);
    helper.getNode('r1').receive({ topic: '/never' });
    const [msg] = await caught;
    assert.equal(msg.error.code, 'TIMEOUT');
    assert.match(msg.error.message, /sent 4 times/);
    assert.equal(await neverCount(), 4);
  });

  it('leaves nothing behind after a thousand timed-out requests: no timer, no interceptor, no memory', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    await helper.load(NODES, flow(device.port, { timeout: '0.3', maxPending: '1000' }));
    const r1 = helper.getNode('r1');
    // A warm-up round, so what the runtime allocates once (and keeps) is not counted below.
    let timedOut = 0;
    let waiter;
    helper.getNode('caught').on('input', (m) => {
      if (m.error.code === 'TIMEOUT') timedOut++;
      if (waiter && timedOut >= waiter.n) waiter.resolve();
    });
    const timeouts = (n) => new Promise((resolve) => (timedOut >= n ? resolve() : (waiter = { n, resolve })));
    // The test helper's spies record every call, and its spy on the runtime's log holds each error's msg: forget
    // them before measuring.
    const forgetSpies = () => {
      ['log', 'status', 'warn', 'error', 'send'].forEach((m) => r1[m].resetHistory());
      helper.log().resetHistory();
    };
    // Each request's ballast, watched through a WeakRef: a request msg kept by anything is seen as alive.
    let watched = [];
    const round = async (n) => {
      for (let i = 0; i < 1000; i++) {
        const ballast = Buffer.alloc(10000);
        watched.push(new WeakRef(ballast));
        r1.receive({ topic: `/never`, payload: [i], ballast });
      }
      await timeouts(n);
    };
    await round(1000);
    await new Promise(setImmediate);
    forgetSpies();
    gc();
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const heapBefore = process.memoryUsage().heapUsed;
    watched = [];
    await round(2000);
    assert.equal(timedOut, 2000, 'each request timed out once');
    await new Promise(setImmediate);
    forgetSpies();
    gc();
    // A WeakRef holds its target until the current job ends: look again in a job of its own.
    await new Promise(setImmediate);
    gc();
    const alive = watched.filter((w) => w.deref() !== undefined).length;
    // Counted rather than read off arrayBuffers, which V8 frees on a background thread, late on a busy machine.
    assert.ok(alive < 10, `${alive} of a thousand timed-out requests are still held (each carries 10 kB)`);
    const grown = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    assert.ok(grown < 3, `the heap grew by ${grown.toFixed(1)} MB over a thousand timed-out requests`);
    assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, timersBefore, 'no timer left');
    const h = helper.getNode('udp1').register({});
    assert.equal(h.endpoint.interceptorCount, 0, 'the endpoint does no request work');
    await h.release();
    // The node still asks and gets answers. (liblo's socket drops some of a burst of a thousand: its count is lower.)
    const reached = await neverCount();
    assert.ok(reached > 1000 && reached <= 2000, `${reached} requests reached the device`);
    await waitStatus(r1, /rtt .* · 2000 timeouts$/);
  });

  it('drops the requests waiting at a redeploy, and the new flow asks the same device at once', async () => {
    await helper.load(NODES, flow(device.port, { timeout: '0.5' }));
    const r1 = helper.getNode('r1');
    const said = [];
    for (const level of ['log', 'warn', 'error']) r1[level] = (m) => said.push(`${level}: ${m}`);
    for (let i = 0; i < 3; i++) r1.receive({ topic: '/never', i });
    // Asked through the old node: the three have arrived once /count is answered (UDP from one socket, in order).
    assert.equal(await neverCount(), 3);
    await helper.setFlows(flow(device.port, { timeout: '0.5', name: 'redeployed' }), 'full');
    assert.deepEqual(said, ['log: 3 requests waiting for a reply dropped on close']);
    const fresh = helper.getNode('r1');
    assert.notEqual(fresh, r1);
    const caught = [];
    helper.getNode('caught').on('input', (m) => caught.push(m));
    const out = collect(helper.getNode('out'), 1);
    fresh.receive({ topic: '/echo', payload: 'new' });
    assert.equal((await out)[0].payload, 'new');
    // Past the old requests' timeout: none of them fired.
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.deepEqual(caught, []);
  });
});

if (!haveLiblo) {
  describe('osc-request with a liblo device (python3-liblo)', () => {
    it('is skipped: python3-liblo is not installed for /usr/bin/python3 (apt-get install python3-liblo)', function () {
      this.skip();
    });
  });
}
