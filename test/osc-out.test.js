'use strict';
// osc-out in a Node-RED runtime (node-red-node-test-helper), sending over real UDP to a peer on 127.0.0.1.
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const codec = require('../dist/osc/codec');
const udp = require('../dist/transport/udp');
const { helper, UDP_NODES, waitStatus, collect, until, recorderNode, recorded } = require('./helpers/nodes');
const { udpPeer, receive } = require('./helpers/net');
const { asMessage } = require('./helpers/osc');

function outFlow(props = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    {
      id: 'o1',
      z: 'f1',
      type: 'osc-out',
      endpoint: '',
      host: '127.0.0.1',
      port: '',
      address: '',
      numbers: 'int',
      wires: [],
      ...props,
    },
    { id: 'catch1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
  ];
}

describe('osc-out node', function () {
  let dest;
  let destPort;
  beforeEach(async () => {
    dest = await udpPeer();
    destPort = dest.address().port;
  });
  afterEach(async () => {
    dest.close();
    await helper.unload();
    assert.equal(udp.openEndpointCount(), 0, 'no socket left open after unload');
  });

  /** Sends each msg into o1 and returns the packets the peer received, decoded. */
  async function sendAll(msgs) {
    const got = receive(dest, msgs.length);
    const o1 = helper.getNode('o1');
    for (const m of msgs) o1.receive(m);
    return (await got).map((g) => codec.decodePacket(g.bytes));
  }

  it('sends msg.topic and msg.payload, from its own socket on a free port, and shows it', async () => {
    await helper.load(UDP_NODES, outFlow({ port: destPort }));
    const o1 = helper.getNode('o1');
    const got = receive(dest);
    o1.receive({ topic: '/ch/01/mix/on', payload: 0 });
    const [{ bytes, rinfo }] = await got;
    assert.deepEqual(codec.decodePacket(bytes), { address: '/ch/01/mix/on', args: [{ type: 'i', value: 0 }] });
    assert.equal(rinfo.address, '127.0.0.1');
    // The status says where it sends and how much, not the socket's own (new at every deploy) source port.
    const s = await waitStatus(o1, /1 sent/);
    assert.deepEqual(s, { fill: 'green', shape: 'dot', text: `→ 127.0.0.1:${destPort} · 1 sent` });
  });

  it('builds arguments: a value, an array, typed objects, null as N, none and [] as no arguments', async () => {
    await helper.load(UDP_NODES, outFlow({ port: destPort }));
    const got = await sendAll([
      { topic: '/one', payload: 'hi' },
      { topic: '/many', payload: [1, 2.5, 'x', true, false, null, Buffer.from([1, 2])] },
      {
        topic: '/typed',
        payload: [{ type: 'f', value: 1 }, { type: 'h', value: 5 }, { type: 'S', value: 'sym' }, { type: 'I' }],
      },
      { topic: '/xremote' },
      { topic: '/empty', payload: [] },
      { topic: '/null', payload: null },
    ]);
    const byAddress = Object.fromEntries(got.map((p) => [p.address, p.args]));
    assert.deepEqual(byAddress['/one'], [{ type: 's', value: 'hi' }]);
    assert.deepEqual(byAddress['/many'].map((a) => a.type).join(''), 'ifsTFNb');
    assert.deepEqual(byAddress['/typed'].map((a) => a.type).join(''), 'fhSI');
    assert.deepEqual(byAddress['/xremote'], []);
    assert.deepEqual(byAddress['/empty'], []);
    assert.deepEqual(byAddress['/null'], [{ type: 'N', value: null }]);
  });

  it('uses its fixed address over msg.topic, msg.types to force tags, and the numbers policy', async () => {
    await helper.load(UDP_NODES, outFlow({ port: destPort, address: '/fixed' }));
    let [p] = await sendAll([{ topic: '/ignored', payload: [1, 2], types: ',fd' }]);
    assert.deepEqual(p, {
      address: '/fixed',
      args: [
        { type: 'f', value: 1 },
        { type: 'd', value: 2 },
      ],
    });
    await helper.unload();

    await helper.load(UDP_NODES, outFlow({ port: destPort, numbers: 'float' }));
    [p] = await sendAll([{ topic: '/f', payload: [1, 0.5] }]);
    assert.equal(p.args.map((a) => a.type).join(''), 'ff');
    await helper.unload();

    await helper.load(UDP_NODES, outFlow({ port: destPort, numbers: 'double' }));
    [p] = await sendAll([{ topic: '/d', payload: [1, 0.1] }]);
    assert.deepEqual(p.args, [
      { type: 'd', value: 1 },
      { type: 'd', value: 0.1 },
    ]);
  });

  it('parses a string payload "/path 1 2.5 foo" when there is no topic or fixed address', async () => {
    await helper.load(UDP_NODES, outFlow({ port: destPort }));
    const [p] = await sendAll([{ payload: '/synth/1 440 -2.5 foo "two words" \'7\' true false 3000000000' }]);
    assert.deepEqual(p, {
      address: '/synth/1',
      args: [
        { type: 'i', value: 440 },
        { type: 'f', value: -2.5 },
        { type: 's', value: 'foo' },
        { type: 's', value: 'two words' },
        { type: 's', value: '7' },
        { type: 'T', value: true },
        { type: 'F', value: false },
        { type: 'h', value: 3000000000n },
      ],
    });
  });

  it('re-sends msg.osc from osc-in exactly (also to a new topic), and builds from payload when the user changed it', async () => {
    await helper.load(UDP_NODES, outFlow({ port: destPort }));
    // Tags the number policy alone would not reproduce: an integral f, a small h, S, c, t, r, m.
    const original = codec.encodePacket({
      address: '/exact',
      args: [
        { type: 'f', value: 1 },
        { type: 'h', value: 3n },
        { type: 'S', value: 'sym' },
        { type: 'c', value: 'A' },
        { type: 't', value: { seconds: 3900000000, fraction: 7 } },
        { type: 'r', value: { r: 1, g: 2, b: 3, a: 4 } },
        { type: 'm', value: Buffer.from([0, 0x90, 60, 100]) },
      ],
    });
    const m = asMessage(codec.decodePacket(original));
    const osc = { address: m.address, types: ',fhSctrm', args: m.args };
    const payload = codec.plainValues(m.args);
    const got = receive(dest, 3);
    const o1 = helper.getNode('o1');
    o1.receive({ topic: '/exact', payload, osc });
    o1.receive({ topic: '/exact', payload: [2, 3], osc }); // changed
    o1.receive({ topic: '/other', payload, osc }); // only the topic changed: same typed arguments, new address
    const [same, changed, moved] = await got;
    assert.deepEqual(same.bytes, original);
    const c = asMessage(codec.decodePacket(changed.bytes));
    assert.equal(c.args[0].type, 'i');
    assert.equal(c.args[0].value, 2);
    assert.deepEqual(codec.decodePacket(moved.bytes), { address: '/other', args: m.args });
  });

  it('re-sends a msg.osc bundle as a bundle', async () => {
    await helper.load(UDP_NODES, outFlow({ port: destPort }));
    const bundle = {
      timetag: { seconds: 3900000000, fraction: 9 },
      packets: [{ address: '/a', types: ',i', args: [{ type: 'i', value: 1 }] }],
    };
    const [p] = await sendAll([{ topic: '#bundle', payload: bundle, osc: bundle }]);
    assert.deepEqual(p, { timetag: bundle.timetag, packets: [{ address: '/a', args: [{ type: 'i', value: 1 }] }] });
  });

  it('sends an array of {topic, payload} (or msg.osc-shaped packets) as one bundle with msg.timetag', async () => {
    await helper.load(UDP_NODES, outFlow({ port: destPort }));
    const when = new Date(Date.UTC(2030, 0, 1));
    const [dated, now, mixed] = await sendAll([
      {
        payload: [
          { topic: '/a', payload: 1 },
          { topic: '/b', payload: ['x', 2.5] },
        ],
        timetag: when,
      },
      { payload: [{ topic: '/c' }] },
      {
        payload: [
          { address: '/d', args: [{ type: 'f', value: 3 }] },
          { timetag: 1893456000000, packets: [{ topic: '/e', payload: true }] },
        ],
        timetag: { seconds: 3900000000, fraction: 1 },
      },
    ]);
    assert.deepEqual(dated.timetag, codec.timetagFromDate(when));
    assert.deepEqual(dated.packets, [
      { address: '/a', args: [{ type: 'i', value: 1 }] },
      {
        address: '/b',
        args: [
          { type: 's', value: 'x' },
          { type: 'f', value: 2.5 },
        ],
      },
    ]);
    assert.deepEqual(now.timetag, { seconds: 0, fraction: 1 });
    assert.deepEqual(now.packets, [{ address: '/c', args: [] }]);
    assert.deepEqual(mixed.packets[0], { address: '/d', args: [{ type: 'f', value: 3 }] });
    assert.deepEqual(mixed.packets[1].timetag, codec.timetagFromMillis(1893456000000));
    assert.deepEqual(mixed.packets[1].packets, [{ address: '/e', args: [{ type: 'T', value: true }] }]);
  });

  it('sends to msg.ip/msg.port when Host/Port are blank; configured values win', async () => {
    const other = await udpPeer();
    await helper.load(UDP_NODES, outFlow({ host: '', port: '' }));
    let [p] = await sendAll([{ topic: '/reply', payload: 1, ip: '127.0.0.1', port: destPort }]);
    assert.equal(p.address, '/reply');
    await helper.unload();

    await helper.load(UDP_NODES, outFlow({ host: '127.0.0.1', port: destPort }));
    [p] = await sendAll([{ topic: '/configured', payload: 1, ip: '127.0.0.1', port: other.address().port }]);
    assert.equal(p.address, '/configured');
    other.close();
  });

  it('notices a receiver that went away (fixed Host and Port), warns, and recovers when it is back', async () => {
    await helper.load(UDP_NODES, outFlow({ port: destPort }));
    const o1 = helper.getNode('o1');
    let [p] = await sendAll([{ topic: '/before', payload: 1 }]);
    assert.equal(p.address, '/before');
    const closed = new Promise((r) => dest.close(r));
    await closed;
    // Keeps sending (as a fader would) until `re` shows in the status: a refusal only follows a send.
    const sendUntil = async (re) => {
      /** @type {any} */
      let hit;
      const seen = waitStatus(o1, re).then((st) => (hit = st));
      while (hit === undefined) {
        o1.receive({ topic: '/fader', payload: 0.5 });
        await new Promise((r) => setTimeout(r, 25));
      }
      await seen;
      return hit;
    };
    const down = await sendUntil(/^receiver 127\.0\.0\.1:\d+ unreachable/);
    assert.equal(down.fill, 'red');
    assert.ok(o1.warn.getCalls().some((c) => /receiver 127\.0\.0\.1:\d+ unreachable/.test(String(c.args[0]))));
    assert.equal(o1.error.getCalls().length, 0, 'sends are not failed: UDP cannot tie the refusal to one msg');

    dest = dgram.createSocket('udp4');
    await new Promise((r) => dest.bind(destPort, '127.0.0.1', r));
    const back = receive(dest);
    o1.status.resetHistory();
    const up = await sendUntil(/^→ .* sent$/);
    assert.equal(up.fill, 'green');
    [p] = await back;
    assert.equal(asMessage(codec.decodePacket(p.bytes)).address, '/fader');
    assert.ok(o1.warn.getCalls().some((c) => /reachable again/.test(String(c.args[0]))));
  });

  it('replies to an IPv6 sender from its own socket when Host is blank', async () => {
    const v6 = dgram.createSocket('udp6');
    await new Promise((r) => v6.bind(0, '::1', () => r()));
    await helper.load(UDP_NODES, outFlow({ host: '', port: '' }));
    const got = receive(v6);
    helper.getNode('o1').receive({ topic: '/v6', payload: 6, ip: '::1', port: v6.address().port });
    const [p] = await sendAll([{ topic: '/v4', payload: 4, ip: '127.0.0.1', port: destPort }]);
    assert.equal(p.address, '/v4');
    const [{ bytes }] = await got;
    assert.deepEqual(codec.decodePacket(bytes), { address: '/v6', args: [{ type: 'i', value: 6 }] });
    v6.close();
  });

  it('sends an address pattern byte for byte, for the receiver to expand, from wherever the address comes from', async () => {
    await helper.load(UDP_NODES, outFlow({ port: destPort, address: '/synth/*/gate' }));
    const got = receive(dest);
    helper.getNode('o1').receive({ payload: 0 });
    // 13 characters padded with NULs to 16, the type tags ",i" padded to 4, int32 0.
    const expected = Buffer.concat([Buffer.from('/synth/*/gate\0\0\0,i\0\0', 'latin1'), Buffer.alloc(4)]);
    assert.deepEqual((await got)[0].bytes, expected);
    await helper.unload();

    await helper.load(UDP_NODES, outFlow({ port: destPort }));
    const packets = await sendAll([
      { topic: '/1/fader[1-4]', payload: 0.5 },
      { payload: '/mixer//gain 1' },
      { osc: { address: '/fx/{rev,dly}/on', args: [{ type: 'T', value: true }] }, payload: true },
      { payload: [{ topic: '/light/?/off' }] },
    ]);
    const byAddress = Object.fromEntries(
      packets.map((p) => (p.packets ? [p.packets[0].address, p.packets[0].args] : [p.address, p.args])),
    );
    assert.deepEqual(byAddress, {
      '/1/fader[1-4]': [{ type: 'f', value: 0.5 }],
      '/mixer//gain': [{ type: 'i', value: 1 }],
      '/fx/{rev,dly}/on': [{ type: 'T', value: true }],
      '/light/?/off': [],
    });
  });

  it('refuses bad input with a catchable error and sends nothing', async () => {
    await helper.load(UDP_NODES, outFlow({ port: destPort }));
    const o1 = helper.getNode('o1');
    /** @type {Array<[object, string, RegExp]>} */
    const bad = [
      [{ payload: 1 }, 'NO_ADDRESS', /no OSC address/],
      [{ topic: 'no-slash', payload: 1 }, 'BAD_ADDRESS', /must start with '\/'/],
      [{ topic: '/with space', payload: 1 }, 'BAD_ADDRESS', /not allowed/],
      // Invalid patterns, wherever the address comes from: refused like a bad address, not sent for the receiver to choke on.
      [{ topic: '/a/[b', payload: 1 }, 'BAD_ADDRESS', /unclosed '\[' at 3/],
      [{ payload: '/a/{b 1' }, 'BAD_ADDRESS', /unclosed '\{' at 3/],
      [{ payload: [{ topic: '/ok' }, { topic: '/a/[]' }] }, 'BAD_ADDRESS', /empty '\[\]' at 3/],
      [{ osc: { address: '/a/b]', args: [] }, payload: [] }, 'BAD_ADDRESS', /unmatched '\]' at 4/],
      [{ topic: '/obj', payload: { foo: 1 } }, 'BAD_ARGUMENT', /cannot encode the message \(argument 0\)/],
      [{ topic: '/frac', payload: { type: 'i', value: 2.5 } }, 'BAD_ARGUMENT', /cannot encode/],
      [{ topic: '/types', payload: [1], types: ',s' }, 'BAD_TYPE_TAGS', /cannot encode/],
      [{ topic: '/huge', payload: Buffer.alloc(70000) }, 'LIMIT_EXCEEDED', /more than the 65507/],
      [{ payload: [{ topic: '/ok' }, { topic: '/ok2' }], timetag: 'soon' }, 'BAD_TIMETAG', /msg.timetag must be/],
      [{ payload: [{ topic: '/ok' }, 5] }, 'BAD_BUNDLE_ELEMENT', /bundle element 1/],
      [{ payload: '/text "unterminated' }, 'BAD_ARGUMENT', /unterminated/],
    ];
    const caught = collect(helper.getNode('caught'), bad.length);
    for (const [msg] of bad) o1.receive(msg);
    const errors = await caught;
    for (let i = 0; i < bad.length; i++) {
      const [, code, re] = bad[i];
      assert.equal(errors[i].error.code, code, `case ${i}: ${errors[i].error.message}`);
      assert.match(errors[i].error.message, re, `case ${i}`);
      assert.equal(errors[i].error.source.id, 'o1');
    }
    // Nothing was sent: the first datagram the peer gets is the valid one sent now.
    const [p] = await sendAll([{ topic: '/valid', payload: 1 }]);
    assert.equal(p.address, '/valid');
    await waitStatus(o1, new RegExp(`1 sent · ${bad.length} failed`));
  });

  it('reports a missing destination and an unknown host to Catch, and keeps working', async () => {
    await helper.load(UDP_NODES, outFlow({ host: '', port: '' }));
    const o1 = helper.getNode('o1');
    const caught = collect(helper.getNode('caught'), 3);
    o1.receive({ topic: '/x', payload: 1 });
    o1.receive({ topic: '/x', payload: 1, ip: '127.0.0.1', port: 70000 });
    o1.receive({ topic: '/x', payload: 1, ip: 'no-such-host.invalid', port: 9000 });
    const errs = await caught;
    assert.equal(errs[0].error.code, 'NO_DESTINATION');
    assert.match(errs[0].error.message, /no destination host/);
    assert.match(errs[1].error.message, /no valid destination port .*msg.port 70000/);
    assert.match(errs[2].error.code, /ENOTFOUND|EAI_AGAIN/);
    assert.match(errs[2].error.message, /send to no-such-host.invalid:9000 failed/);
    const [p] = await sendAll([{ topic: '/still', payload: [], ip: '127.0.0.1', port: destPort }]);
    assert.equal(p.address, '/still');
  });

  it('shows a busy endpoint in red, tells Catch nodes once, and refuses to send through it, with a catchable error', async () => {
    const holder = await udpPeer();
    const busy = holder.address().port;
    await helper.load(
      [...UDP_NODES, recorderNode],
      [
        { id: 'f1', type: 'tab' },
        { id: 'udp1', type: 'osc-udp', localAddress: '127.0.0.1', localPort: busy },
        { id: 'o1', z: 'f1', type: 'osc-out', endpoint: 'udp1', host: '127.0.0.1', port: destPort, wires: [] },
        { id: 'catch1', z: 'f1', type: 'catch', scope: null, wires: [['caught']] },
        { id: 'caught', z: 'f1', type: 'recorder' },
      ],
    );
    const o1 = helper.getNode('o1');
    assert.deepEqual(await waitStatus(o1, /in use/), { fill: 'red', shape: 'ring', text: `port ${busy} in use` });
    // The endpoint's failure itself reaches the Catch node once, at deploy, before any msg is sent.
    const failure = await until(() => recorded('caught').find((m) => m.endpoint !== undefined), 5000);
    assert.equal(failure.error.code, 'EADDRINUSE');
    assert.equal(failure.endpoint, `127.0.0.1:${busy}`);
    o1.receive({ topic: '/x', payload: 1 });
    const err = await until(() => recorded('caught').find((m) => m.topic === '/x'), 5000);
    assert.equal(recorded('caught').filter((m) => m.endpoint !== undefined).length, 1, 'the failure is reported once');
    assert.equal(err.error.code, 'EADDRINUSE');
    assert.match(
      err.error.message,
      new RegExp(`send to 127\\.0\\.0\\.1:${destPort} failed: endpoint 127\\.0\\.0\\.1:${busy} is not open`),
    );
    holder.close();
  });

  it('shares an endpoint with osc-in: a device answering to the source port is heard', async () => {
    // The "device": answers every packet to the port it came from, as scsynth and the X32 do.
    dest.on('message', (bytes, rinfo) => {
      const q = asMessage(codec.decodePacket(bytes));
      dest.send(
        codec.encodePacket({ address: '/reply' + q.address, args: [{ type: 's', value: 'ok' }] }),
        rinfo.port,
        rinfo.address,
      );
    });
    await helper.load(UDP_NODES, [
      { id: 'f1', type: 'tab' },
      { id: 'udp1', type: 'osc-udp', localAddress: '127.0.0.1', localPort: 0 },
      { id: 'in1', z: 'f1', type: 'osc-in', endpoint: 'udp1', wires: [['out']] },
      { id: 'o1', z: 'f1', type: 'osc-out', endpoint: 'udp1', host: '127.0.0.1', port: destPort, wires: [] },
      { id: 'out', z: 'f1', type: 'helper' },
    ]);
    const got = collect(helper.getNode('out'), 2);
    helper.getNode('o1').receive({ topic: '/status' });
    helper.getNode('o1').receive({ topic: '/info' });
    const replies = await got;
    assert.deepEqual(
      replies.map((r) => r.topic),
      ['/reply/status', '/reply/info'],
    );
    assert.equal(replies[0].payload, 'ok');
    assert.equal(replies[0].port, destPort);
    assert.equal(udp.openEndpointCount(), 1, 'one socket for both nodes');
    await waitStatus(helper.getNode('in1'), /2 in/);
    await waitStatus(helper.getNode('o1'), new RegExp(`^→ 127\\.0\\.0\\.1:${destPort} · 2 sent$`));
  });
});
