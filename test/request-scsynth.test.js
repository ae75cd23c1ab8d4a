'use strict';
// osc-request against SuperCollider's server (scsynth, on a dummy JACK server): /status answered on /status.reply
// with its nine arguments, /sync 42 on /synced 42, and many requests in flight at once each paired with its own
// reply. Needs supercollider-server and jackd2 (.ci/run installs them); skipped with a message without them.
const assert = require('node:assert/strict');
const udp = require('../dist/transport/udp');
const oscRequest = require('../dist/nodes/osc-request');
const { helper, UDP_NODES, collect } = require('./helpers/nodes');
const { startScsynth, scsynthMissing } = require('./helpers/scsynth');
const { exampleFlow, idOf, CORE } = require('./helpers/example-flow');
const { requestFlow } = require('./helpers/request-flow');

const missing = scsynthMissing();

function flow(port, props = {}) {
  return requestFlow({ port: String(port), reply: '', timeout: 3, maxPending: 1000, ...props }, { monitor: false });
}

(missing ? describe.skip : describe)("osc-request with SuperCollider's scsynth", function () {
  this.timeout(60000);
  let sc;
  before(async () => {
    sc = await startScsynth();
  });
  after(async () => {
    await sc?.stop();
  });
  afterEach(async () => {
    await helper.unload();
    assert.equal(udp.openEndpointCount(), 0);
  });

  it('asks /status and gets /status.reply with its nine arguments', async () => {
    await helper.load([...UDP_NODES, oscRequest], flow(sc.port, { reply: '<address>.reply' }));
    const out = collect(helper.getNode('out'), 1);
    helper.getNode('r1').receive({ topic: '/status', payload: [], poll: 1 });
    const [msg] = await out;
    assert.equal(msg.topic, '/status.reply');
    assert.equal(msg.osc.types, ',iiiiiffdd');
    assert.equal(msg.payload.length, 9);
    assert.equal(msg.payload[0], 1);
    assert.equal(msg.payload[7], 48000, 'the nominal sample rate of the dummy JACK server');
    assert.deepEqual([msg.poll, msg.ip, msg.port], [1, '127.0.0.1', sc.port]);
    assert.ok(msg.rtt > 0 && msg.rtt < 3000);
  });

  it('sends /sync 42 and gets /synced 42', async () => {
    await helper.load([...UDP_NODES, oscRequest], flow(sc.port));
    const out = collect(helper.getNode('out'), 1);
    helper.getNode('r1').receive({ topic: '/sync', payload: 42, reply: '/synced' });
    const [msg] = await out;
    assert.deepEqual([msg.topic, msg.payload], ['/synced', 42]);
  });

  it('pairs many requests in flight at once each with its own reply', async () => {
    await helper.load([...UDP_NODES, oscRequest], flow(sc.port));
    const N = 200;
    const out = collect(helper.getNode('out'), N + 10);
    const r1 = helper.getNode('r1');
    const errors = [];
    helper.getNode('caught').on('input', (m) => errors.push(m.error.message));
    for (let i = 0; i < N; i++) {
      r1.receive({ topic: '/sync', payload: i, reply: '/synced', id: i });
      // /status between them, waiting on another address from the same server.
      if (i % 20 === 0) r1.receive({ topic: '/status', reply: '<address>.reply', id: `status ${i}` });
    }
    const msgs = await out;
    const synced = msgs.filter((m) => m.topic === '/synced');
    assert.equal(synced.length, N);
    for (const m of synced) assert.equal(m.payload, m.id, `/sync ${m.id} answered with /synced ${m.payload}`);
    assert.deepEqual(
      synced.map((m) => m.id),
      Array.from({ length: N }, (_, i) => i),
      'in the order asked',
    );
    const statuses = msgs.filter((m) => m.topic === '/status.reply');
    assert.equal(statuses.length, 10);
    for (const m of statuses) assert.equal(m.payload.length, 9, m.id);
    assert.deepEqual(errors, []);
  });

  it('runs the example "scsynth: poll /status"', async () => {
    const flow = exampleFlow('supercollider-status.json', (n) => {
      if (n.type === 'osc-request') n.port = String(sc.port);
      if (n.type === 'inject') n.repeat = '';
    });
    await helper.load([...UDP_NODES, oscRequest, ...CORE], flow);
    const status = collect(helper.getNode(idOf(flow, 'helper', 'server status')), 1);
    helper.getNode(idOf(flow, 'inject', 'poll /status every 5 s')).receive({});
    const [s] = await status;
    assert.deepEqual(Object.keys(s.payload), [
      'ugens',
      'synths',
      'groups',
      'synthdefs',
      'avgCPU',
      'peakCPU',
      'sampleRate',
      'rtt',
    ]);
    // The actual sample rate is measured as the server runs: just after boot it may still be 0.
    assert.ok(
      typeof s.payload.sampleRate === 'number' && s.payload.groups >= 1 && s.payload.rtt > 0,
      JSON.stringify(s.payload),
    );
    const synced = collect(helper.getNode(idOf(flow, 'helper', 'synced')), 1);
    helper.getNode(idOf(flow, 'inject', 'sync 42')).receive({});
    const [m] = await synced;
    assert.deepEqual([m.topic, m.payload], ['/synced', 42]);
  });
});

if (missing) {
  describe("osc-request with SuperCollider's scsynth", () => {
    it(`is skipped: ${missing}`, function () {
      this.skip();
    });
  });
}
