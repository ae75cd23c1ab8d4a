'use strict';
// The monitor's runtime side (src/nodes/monitor.ts) in a Node-RED runtime (node-red-node-test-helper) over real
// UDP: nobody watching means no tap on any endpoint and nothing published; a lease taps them and its batches go to
// the comms connection that attached it, and only there; a lease given back, not renewed, or whose connection
// closed untaps everything again.
const assert = require('node:assert/strict');
const { helper, UDP_NODES, listeningPort, collect, until } = require('./helpers/nodes');
const { udpPeer, sendTo, receive } = require('./helpers/net');
const { encodePacket } = require('../dist/osc/codec');
const { watchEndpoints, openEndpointCount } = require('../dist/transport/endpoint');
const { MonitorService, TOPIC } = require('../dist/nodes/monitor');

/** Every endpoint alive now. */
function liveEndpoints() {
  const list = [];
  watchEndpoints((ep) => list.push(ep))();
  return list;
}
const totalTaps = () => liveEndpoints().reduce((n, ep) => n + ep.tapCount, 0);

function flow(destPort) {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    { id: 'udp1', type: 'osc-udp', name: 'desk', localAddress: '127.0.0.1', localPort: 0, ipv: 'udp4' },
    { id: 'in1', z: 'f1', type: 'osc-in', endpoint: 'udp1', wires: [['out']] },
    { id: 'o1', z: 'f1', type: 'osc-out', endpoint: 'udp1', host: '127.0.0.1', port: destPort, wires: [] },
    { id: 'out', z: 'f1', type: 'helper' },
  ];
}

const probe = (i = 0) =>
  encodePacket({
    address: '/probe',
    args: [
      { type: 'i', value: 42 + i },
      { type: 'f', value: 0.5 },
      { type: 's', value: 'hello' },
      { type: 'b', value: new Uint8Array([1, 2, 3]) },
    ],
  });

describe('monitor runtime', function () {
  let sender;
  let dest;
  let service;
  let published;
  let events;
  let options = {};

  // Loaded as the plugin is, with the API the runtime gives a plugin (here: the test helper's).
  function monitorPlugin(RED) {
    events = RED.events;
    service = new MonitorService(RED, options);
    service.install();
  }
  const onComms = (e) => {
    if (/^osc-monitor\//.test(e.topic)) published.push(e);
  };

  before(async () => {
    sender = await udpPeer();
    dest = await udpPeer();
  });
  after(() => {
    sender.close();
    dest.close();
  });
  beforeEach(() => {
    published = [];
    options = { batchMs: 50 };
  });
  afterEach(async () => {
    if (events) events.removeListener('comms', onComms);
    service?.close();
    await helper.unload();
    assert.equal(openEndpointCount(), 0);
  });

  async function load() {
    await helper.load([...UDP_NODES, monitorPlugin], flow(dest.address().port));
    events.on('comms', onComms);
    return listeningPort(helper.getNode('in1'));
  }

  /** Sends `n` probes and waits until osc in has emitted them all: they went through the message path. */
  async function traffic(port, n) {
    const got = collect(helper.getNode('out'), n);
    for (let i = 0; i < n; i++) await sendTo(sender, probe(i), port);
    await got;
  }

  function nextBatch(test) {
    return new Promise((resolve) => {
      const on = (e) => {
        if (e.topic === TOPIC && test(e)) {
          events.removeListener('comms', on);
          resolve(e);
        }
      };
      events.on('comms', on);
    });
  }

  it('with nobody watching, taps nothing and publishes nothing', async () => {
    const port = await load();
    await traffic(port, 50);
    helper.getNode('o1').receive({ topic: '/reply', payload: 1 });
    await receive(dest, 1);
    assert.ok(liveEndpoints().length >= 1);
    assert.equal(totalTaps(), 0);
    assert.equal(service.tapCount, 0);
    assert.equal(published.length, 0);
  });

  it('a lease taps every endpoint; its batches go to its own editor, never retained; giving it back untaps', async () => {
    const port = await load();
    const res = await helper.request().post('/osc-monitor/subscribe').send({}).expect(200);
    const lease = res.body.lease;
    assert.match(lease, /^[0-9a-f]{32}$/);
    assert.equal(res.body.renewMs, 5000);
    assert.equal(totalTaps(), 1);
    // Nothing goes out before an editor's connection claims the lease.
    await traffic(port, 3);
    events.emit('comms:message:osc-monitor/attach', { session: 'editor1', data: { lease } });
    // The first batch is a snapshot (the three probes so far: one row); then the next probe.
    const snapshot = await nextBatch(() => true);
    assert.equal(snapshot.data.reset, true);
    assert.deepEqual(
      snapshot.data.rows.map((r) => [r.address, r.count]),
      [['/probe', 3]],
    );
    const seen = nextBatch((e) => e.data.rows.some((r) => r.address === '/probe' && r.count === 4));
    await sendTo(sender, probe(100), port);
    const batch = await seen;
    assert.equal(batch.session, 'editor1');
    assert.equal(batch.retain, false);
    const row = batch.data.rows.find((r) => r.address === '/probe');
    assert.equal(row.types, 'ifsb');
    assert.deepEqual(row.args, [
      { type: 'i', value: 142 },
      { type: 'f', value: 0.5 },
      { type: 's', value: 'hello' },
      { type: 'b', value: '010203', size: 3 },
    ]);
    assert.equal(row.direction, 'in');
    assert.deepEqual(row.peer, { address: '127.0.0.1', port: sender.address().port });
    const ep = batch.data.endpoints.find((e) => e.id === row.endpoint);
    assert.deepEqual([ep.id, ep.name, ep.transport], ['udp1', 'desk', 'udp']);
    assert.equal(ep.label, `127.0.0.1:${port}`);
    // What osc out sends is seen too.
    const out = nextBatch((e) => e.data.rows.some((r) => r.address === '/reply' && r.direction === 'out'));
    helper.getNode('o1').receive({ topic: '/reply', payload: 7 });
    const o = (await out).data.rows.find((r) => r.address === '/reply');
    assert.deepEqual(o.peer, { address: '127.0.0.1', port: dest.address().port });
    assert.deepEqual(o.args, [{ type: 'i', value: 7 }]);

    assert.deepEqual((await helper.request().post('/osc-monitor/renew').send({ lease }).expect(200)).body, {
      ok: true,
      attached: true,
    });
    const bad = await helper
      .request()
      .post('/osc-monitor/filter')
      .send({ lease, filter: { pattern: '/a/[b' } });
    assert.equal(bad.body.ok, false);
    assert.match(bad.body.error, /\[/);
    await helper.request().post('/osc-monitor/unsubscribe').send({ lease }).expect(200);
    assert.equal(totalTaps(), 0);
    await helper.request().post('/osc-monitor/renew').send({ lease }).expect(404);
    const before = published.length;
    await traffic(port, 10);
    // A few batch periods with nobody watching: nothing more is sent.
    await new Promise((r) => setTimeout(r, 4 * options.batchMs));
    assert.equal(published.length, before);
  });

  it('refuses a bad filter and caps the leases', async () => {
    options = { batchMs: 50, maxLeases: 2 };
    await load();
    await helper
      .request()
      .post('/osc-monitor/subscribe')
      .send({ filter: { direction: 'sideways' } })
      .expect(400);
    await helper
      .request()
      .post('/osc-monitor/subscribe')
      .send({ filter: { pattern: 'x'.repeat(300) } })
      .expect(400);
    await helper.request().post('/osc-monitor/subscribe').send({}).expect(200);
    await helper.request().post('/osc-monitor/subscribe').send({}).expect(200);
    await helper.request().post('/osc-monitor/subscribe').send({}).expect(429);
    assert.equal(service.leaseCount, 2);
  });

  it('drops a lease that is not renewed, and untaps', async () => {
    options = { batchMs: 20, leaseMs: 200 };
    await load();
    const { lease } = (await helper.request().post('/osc-monitor/subscribe').send({}).expect(200)).body;
    assert.equal(totalTaps(), 1);
    await until(() => service.leaseCount === 0, 3000);
    assert.equal(totalTaps(), 0);
    await helper.request().post('/osc-monitor/renew').send({ lease }).expect(404);
  });

  it("drops the leases of an editor whose connection closed, and keeps another editor's", async () => {
    await load();
    const a = (await helper.request().post('/osc-monitor/subscribe').send({}).expect(200)).body.lease;
    const b = (await helper.request().post('/osc-monitor/subscribe').send({}).expect(200)).body.lease;
    events.emit('comms:message:osc-monitor/attach', { session: 'A', data: { lease: a } });
    events.emit('comms:message:osc-monitor/attach', { session: 'B', data: { lease: b } });
    events.emit('comms:connection-removed', { session: 'A' });
    assert.equal(service.leaseCount, 1);
    assert.equal(totalTaps(), 1);
    events.emit('comms:connection-removed', { session: 'B' });
    assert.equal(service.leaseCount, 0);
    assert.equal(totalTaps(), 0);
  });
});
