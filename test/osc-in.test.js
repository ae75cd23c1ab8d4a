'use strict';
// osc-in in a Node-RED runtime (node-red-node-test-helper) with real UDP on 127.0.0.1.
const assert = require('node:assert/strict');
const codec = require('../dist/osc/codec');
const udp = require('../dist/transport/udp');
const {
  helper,
  UDP_NODES,
  oscInFlow: flow,
  waitStatus,
  listeningPort,
  collect,
  until,
  recorderNode,
  recorded,
} = require('./helpers/nodes');
const { udpPeer, sendTo, freeUdpPort } = require('./helpers/net');

describe('osc-in node', function () {
  let sender;
  before(async () => {
    sender = await udpPeer();
  });
  after(() => sender.close());
  afterEach(async () => {
    await helper.unload();
    assert.equal(udp.openEndpointCount(), 0, 'no socket left open after unload');
  });

  it('listens on a free port, shows it, and emits topic, payload, osc, ip and port', async () => {
    await helper.load(UDP_NODES, flow());
    const port = await listeningPort(helper.getNode('in1'));
    assert.ok(port > 0);
    const out = helper.getNode('out');
    const got = collect(out, 1);
    await sendTo(sender, codec.encodePacket({ address: '/1/fader1', args: [{ type: 'f', value: 0.5 }] }), port);
    const [msg] = await got;
    assert.equal(msg.topic, '/1/fader1');
    assert.equal(msg.payload, 0.5);
    assert.deepEqual(msg.osc, { address: '/1/fader1', types: ',f', args: [{ type: 'f', value: 0.5 }] });
    assert.equal(msg.ip, '127.0.0.1');
    assert.equal(msg.port, sender.address().port);
  });

  it('gives several arguments as an array, none as [], and arrays always with payloadArray', async () => {
    await helper.load(UDP_NODES, flow());
    const port = await listeningPort(helper.getNode('in1'));
    const got = collect(helper.getNode('out'), 4);
    await sendTo(sender, codec.encodePacket({ address: '/a', args: [1, 'two', true, null] }), port);
    await sendTo(sender, codec.encodePacket({ address: '/none', args: [] }), port);
    await sendTo(
      sender,
      codec.encodePacket({
        address: '/arr',
        args: [
          {
            type: '[',
            value: [
              { type: 'i', value: 1 },
              { type: 's', value: 'x' },
            ],
          },
          { type: 'I' },
        ],
      }),
      port,
    );
    await sendTo(
      sender,
      codec.encodePacket({
        address: '/big',
        args: [
          { type: 'h', value: 2n ** 62n },
          { type: 'h', value: 5n },
        ],
      }),
      port,
    );
    const [a, none, arr, big] = await got;
    assert.deepEqual(a.payload, [1, 'two', true, null]);
    assert.equal(a.osc.types, ',isTN');
    assert.deepEqual(none.payload, []);
    assert.equal(none.osc.types, ',');
    assert.deepEqual(arr.payload, [[1, 'x'], true]);
    assert.equal(arr.osc.types, ',[is]I');
    assert.deepEqual(big.payload, [2n ** 62n, 5]);

    await helper.unload();
    await helper.load(UDP_NODES, flow({ payloadArray: true }));
    const port2 = await listeningPort(helper.getNode('in1'));
    const got2 = collect(helper.getNode('out'), 1);
    await sendTo(sender, codec.encodePacket({ address: '/one', args: [7] }), port2);
    assert.deepEqual((await got2)[0].payload, [7]);
  });

  it('splits a bundle into its messages in order, nested bundles flattened with their own timetag', async () => {
    await helper.load(UDP_NODES, flow());
    const port = await listeningPort(helper.getNode('in1'));
    const outer = { seconds: 3900000000, fraction: 0 };
    const inner = { seconds: 3900000001, fraction: 5 };
    const bytes = codec.encodePacket({
      timetag: outer,
      packets: [
        { address: '/m1', args: [1] },
        {
          timetag: inner,
          packets: [
            { address: '/m2', args: [2] },
            { address: '/m3', args: [3] },
          ],
        },
        { address: '/m4', args: [4] },
      ],
    });
    const got = collect(helper.getNode('out'), 4);
    await sendTo(sender, bytes, port);
    const msgs = await got;
    assert.deepEqual(
      msgs.map((m) => m.topic),
      ['/m1', '/m2', '/m3', '/m4'],
    );
    assert.deepEqual(
      msgs.map((m) => m.payload),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      msgs.map((m) => m.osc.timetag),
      [outer, inner, inner, outer],
    );
    assert.ok(msgs.every((m) => m.ip === '127.0.0.1' && m.port === sender.address().port));
    // The msgs are sent one by one, not cloned: none may share a mutable object with another.
    assert.notEqual(msgs[1].osc.timetag, msgs[2].osc.timetag);
    assert.notEqual(msgs[0].osc, msgs[3].osc);
    // osc-in gives each msg its _msgid (the runtime's form, 16 hex digits): one per message, never shared.
    assert.ok(
      msgs.every((m) => /^[0-9a-f]{16}$/.test(m._msgid)),
      msgs.map((m) => m._msgid).join(' '),
    );
    assert.equal(new Set(msgs.map((m) => m._msgid)).size, 4);
  });

  it('emits a whole bundle as one msg (topic "#bundle") when bundles is "whole"', async () => {
    await helper.load(UDP_NODES, flow({ bundles: 'whole' }));
    const port = await listeningPort(helper.getNode('in1'));
    const got = collect(helper.getNode('out'), 1);
    const timetag = { seconds: 3900000000, fraction: 1234 };
    await sendTo(
      sender,
      codec.encodePacket({
        timetag,
        packets: [
          { address: '/x', args: [1.5] },
          { timetag, packets: [{ address: '/y', args: [] }] },
        ],
      }),
      port,
    );
    const [msg] = await got;
    assert.equal(msg.topic, '#bundle');
    assert.equal(msg.payload, msg.osc);
    assert.deepEqual(msg.osc, {
      timetag,
      packets: [
        { address: '/x', types: ',f', args: [{ type: 'f', value: 1.5 }] },
        { timetag, packets: [{ address: '/y', types: ',', args: [] }] },
      ],
    });
  });

  it('reports a malformed packet to a Catch node with the bytes, sender and code, and goes on', async () => {
    await helper.load(UDP_NODES, flow());
    const inNode = helper.getNode('in1');
    const port = await listeningPort(inNode);
    const caught = collect(helper.getNode('caught'), 1);
    const bad = Buffer.from('/bad\0\0\0\0,i\0\0', 'latin1'); // 'i' with its 4 bytes missing
    await sendTo(sender, bad, port);
    const [err] = await caught;
    assert.ok(Buffer.isBuffer(err.payload));
    assert.deepEqual(err.payload, bad);
    assert.equal(err.ip, '127.0.0.1');
    assert.equal(err.port, sender.address().port);
    assert.equal(err.error.code, 'TRUNCATED');
    assert.match(
      err.error.message,
      new RegExp(`malformed OSC packet from 127\\.0\\.0\\.1:${sender.address().port} .*TRUNCATED`),
    );
    assert.equal(err.error.source.id, 'in1');
    await waitStatus(inNode, /1 bad \(TRUNCATED\)/);

    const got = collect(helper.getNode('out'), 1);
    await sendTo(sender, codec.encodePacket({ address: '/after', args: [] }), port);
    assert.equal((await got)[0].topic, '/after');
  });

  it('rate-limits malformed-packet errors and says how many were suppressed', async () => {
    await helper.load(UDP_NODES, flow());
    const inNode = helper.getNode('in1');
    const port = await listeningPort(inNode);
    const warned = new Promise((resolve) => inNode.on('call:warn', (call) => resolve(call.args[0])));
    const before = inNode.error.callCount;
    const caught = collect(helper.getNode('caught'), 10);
    for (let i = 0; i < 30; i++) await sendTo(sender, Buffer.from('garbage!'), port);
    await caught;
    const text = await warned;
    assert.match(text, /^20 more malformed OSC packets in the last second/);
    assert.equal(inNode.error.callCount - before, 10);
    await waitStatus(inNode, /30 bad \(BAD_PACKET\)/);
  });

  it('accepts a message without type tags only when lenient', async () => {
    const noTags = Buffer.from('/old\0\0\0\0', 'latin1');
    await helper.load(UDP_NODES, flow());
    let port = await listeningPort(helper.getNode('in1'));
    const caught = collect(helper.getNode('caught'), 1);
    await sendTo(sender, noTags, port);
    assert.equal((await caught)[0].error.code, 'MISSING_TYPE_TAGS');
    await helper.unload();

    await helper.load(UDP_NODES, flow({ lenient: true }));
    port = await listeningPort(helper.getNode('in1'));
    const got = collect(helper.getNode('out'), 1);
    await sendTo(sender, noTags, port);
    const [msg] = await got;
    assert.equal(msg.topic, '/old');
    assert.deepEqual(msg.payload, []);
  });

  it('shows a port held by another program as a red status and an error; the runtime goes on', async () => {
    const holder = await udpPeer();
    const port = holder.address().port;
    const f = flow({}, { localPort: port });
    // A second, working endpoint in the same flow proves the runtime is alive.
    f.push({ id: 'udp2', type: 'osc-udp', localAddress: '127.0.0.1', localPort: 0 });
    f.push({ id: 'in2', z: 'f1', type: 'osc-in', endpoint: 'udp2', wires: [['out']] });
    await helper.load(UDP_NODES, f);
    const inNode = helper.getNode('in1');
    const errored = new Promise((resolve) => inNode.on('call:error', (call) => resolve(call.args[0])));
    const s = await waitStatus(inNode, /in use/);
    assert.deepEqual(s, { fill: 'red', shape: 'ring', text: `port ${port} in use` });
    assert.match(String(await errored), new RegExp(`port ${port} is already in use.*EADDRINUSE`));

    const port2 = await listeningPort(helper.getNode('in2'));
    const got = collect(helper.getNode('out'), 1);
    await sendTo(sender, codec.encodePacket({ address: '/alive', args: [] }), port2);
    assert.equal((await got)[0].topic, '/alive');
    holder.close();
  });

  it('hands a port taken by another program, or by another endpoint, to a Catch node: once, as one sentence', async () => {
    const holder = await udpPeer();
    const taken = holder.address().port;
    const shared = await freeUdpPort();
    await helper.load(
      [...UDP_NODES, recorderNode],
      [
        { id: 'f1', type: 'tab', label: 'test' },
        { id: 'udp1', type: 'osc-udp', localAddress: '127.0.0.1', localPort: taken },
        // Two endpoints on one port: whichever binds second fails.
        { id: 'udpA', type: 'osc-udp', localAddress: '127.0.0.1', localPort: shared },
        { id: 'udpB', type: 'osc-udp', localAddress: '127.0.0.1', localPort: shared },
        { id: 'in1', z: 'f1', type: 'osc-in', endpoint: 'udp1', wires: [] },
        { id: 'inA', z: 'f1', type: 'osc-in', endpoint: 'udpA', wires: [] },
        { id: 'inB', z: 'f1', type: 'osc-in', endpoint: 'udpB', wires: [] },
        { id: 'catch1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', z: 'f1', type: 'recorder' },
      ],
    );
    const failures = await until(() => (recorded('caught').length >= 2 ? recorded('caught') : undefined), 5000);
    const byProgram = failures.find((m) => m.error.source.id === 'in1');
    assert.ok(byProgram, 'the osc in whose port another program holds');
    assert.equal(byProgram.error.code, 'EADDRINUSE');
    assert.equal(byProgram.endpoint, `127.0.0.1:${taken}`);
    assert.equal(
      byProgram.error.message,
      `cannot listen on 127.0.0.1:${taken}: port ${taken} is already in use by another program or node (EADDRINUSE)`,
    );
    const byEndpoint = failures.find((m) => m.error.source.id === 'inA' || m.error.source.id === 'inB');
    assert.ok(byEndpoint, 'the osc in whose port another endpoint of the flow holds');
    assert.equal(byEndpoint.error.code, 'EADDRINUSE');
    assert.equal(byEndpoint.endpoint, `127.0.0.1:${shared}`);
    // The other of A and B listens; by then every failure has been reported, and each only once.
    const winner = byEndpoint.error.source.id === 'inA' ? 'inB' : 'inA';
    await waitStatus(helper.getNode(winner), /^listening on /);
    await waitStatus(helper.getNode(byEndpoint.error.source.id), /in use/);
    assert.equal(
      recorded('caught').length,
      2,
      recorded('caught')
        .map((m) => m.error.message)
        .join('\n'),
    );
    holder.close();
  });

  it('shows a multicast group or interface that does not exist as a red status and an error', async () => {
    await helper.load(UDP_NODES, [
      { id: 'udp1', type: 'osc-udp', localAddress: '0.0.0.0', localPort: 0, multicastGroup: '10.1.2.3' },
      {
        id: 'udp2',
        type: 'osc-udp',
        localAddress: '0.0.0.0',
        localPort: 0,
        multicastGroup: '239.255.77.10',
        multicastInterface: 'nosuch0',
      },
      { id: 'in1', type: 'osc-in', endpoint: 'udp1', wires: [] },
      { id: 'in2', type: 'osc-in', endpoint: 'udp2', wires: [] },
    ]);
    const in1 = helper.getNode('in1');
    const in2 = helper.getNode('in2');
    const e1 = new Promise((resolve) => in1.on('call:error', (call) => resolve(String(call.args[0]))));
    const e2 = new Promise((resolve) => in2.on('call:error', (call) => resolve(String(call.args[0]))));
    assert.deepEqual(await waitStatus(in1, /multicast/), {
      fill: 'red',
      shape: 'ring',
      text: 'multicast 10.1.2.3: EINVAL',
    });
    assert.deepEqual(await waitStatus(in2, /interface/), { fill: 'red', shape: 'ring', text: 'no interface nosuch0' });
    assert.match(await e1, /cannot join multicast group 10\.1\.2\.3: 10\.1\.2\.3 is not a multicast address/);
    assert.match(await e2, /no network interface named "nosuch0"/);
  });

  it('reports a missing endpoint without crashing', async () => {
    await helper.load(UDP_NODES, [{ id: 'in1', type: 'osc-in', endpoint: 'nope', wires: [] }]);
    const s = await waitStatus(helper.getNode('in1'), /no endpoint/);
    assert.equal(s.fill, 'red');
  });

  it('survives 50 redeploys on one port without a leaked socket or "address in use"', async function () {
    this.timeout(60000);
    const port = await freeUdpPort();
    for (let i = 0; i < 50; i++) {
      await helper.load(UDP_NODES, flow({}, { localPort: port }));
      const inNode = helper.getNode('in1');
      const s = await waitStatus(inNode, /^listening on |in use|cannot/);
      assert.equal(s.text, `listening on 127.0.0.1:${port}`, `round ${i}`);
      if (i % 10 === 9) {
        const got = collect(helper.getNode('out'), 1);
        await sendTo(sender, codec.encodePacket({ address: '/round', args: [i] }), port);
        assert.equal((await got)[0].payload, i);
      }
      await helper.unload();
      assert.equal(udp.openEndpointCount(), 0, `round ${i}: socket left open`);
    }
  });

  it('keeps listening through a full redeploy (config node re-created) and a partial one', async () => {
    const port = await freeUdpPort();
    const f = flow({}, { localPort: port });
    f.push({ id: 'o1', z: 'f1', type: 'osc-out', endpoint: 'udp1', host: '127.0.0.1', port: 9, wires: [] });
    await helper.load(UDP_NODES, f);
    await waitStatus(helper.getNode('in1'), /^listening on /);

    await helper.setFlows(f, 'full');
    let inNode = helper.getNode('in1');
    assert.equal((await waitStatus(inNode, /^listening on |in use/)).text, `listening on 127.0.0.1:${port}`);
    let got = collect(helper.getNode('out'), 1);
    await sendTo(sender, codec.encodePacket({ address: '/full', args: [] }), port);
    assert.equal((await got)[0].topic, '/full');

    // Only osc-in changes: osc-out keeps the socket open meanwhile; the new osc-in joins it.
    const changed = f.map((n) => (n.id === 'in1' ? { ...n, name: 'renamed' } : n));
    await helper.setFlows(changed, 'nodes');
    inNode = helper.getNode('in1');
    assert.equal(inNode.name, 'renamed');
    assert.equal((await waitStatus(inNode, /^listening on |in use/)).text, `listening on 127.0.0.1:${port}`);
    got = collect(helper.getNode('out'), 1);
    await sendTo(sender, codec.encodePacket({ address: '/partial', args: [] }), port);
    assert.equal((await got)[0].topic, '/partial');
    assert.equal(udp.openEndpointCount(), 1);
  });
});
