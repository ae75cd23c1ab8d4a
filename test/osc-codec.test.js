'use strict';
// osc-codec in a Node-RED runtime: bytes to the msgs osc-in emits, msgs to the bytes osc-out sends, SLIP and
// size-prefix streams reassembled per connection, errors to Catch; and with the core udp and tcp nodes over
// real sockets on 127.0.0.1.
const assert = require('node:assert/strict');
const net = require('node:net');
const { once } = require('node:events');
const codec = require('../dist/osc/codec');
const { slipEncode, lengthPrefixEncode, SlipDecoder } = require('../dist/osc/framing');
const convert = require('../dist/nodes/convert');
const oscCodec = require('../dist/nodes/osc-codec');
const udpNodes = require('@node-red/nodes/core/network/32-udp.js');
const tcpNodes = require('@node-red/nodes/core/network/31-tcpin.js');
const vectors = require('./fixtures/vectors.json');
const { helper, collect } = require('./helpers/nodes');
const { udpPeer, freeUdpPort, freeTcpPort, hex } = require('./helpers/net');
const { asMessage, asBundle } = require('./helpers/osc');

function flow(props = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    {
      id: 'c1',
      z: 'f1',
      type: 'osc-codec',
      action: 'auto',
      framing: 'none',
      address: '',
      numbers: 'int',
      payloadArray: false,
      bundles: 'split',
      lenient: false,
      wires: [['out']],
      ...props,
    },
    { id: 'out', z: 'f1', type: 'helper' },
    { id: 'catch1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
  ];
}

/** Feeds msgs to the codec in order. */
async function feed(node, msgs) {
  for (const m of msgs) node.receive(m);
}

/** What osc-in would emit for these bytes from ip:port (the shared conversion functions). */
function oscInWould(bytes, ip, port, { alwaysArray = false, whole = false } = {}) {
  const p = codec.decodePacket(bytes);
  if (!('packets' in p)) return [convert.messageToMsg(p, ip, port, alwaysArray)];
  return whole ? [convert.bundleToMsg(p, ip, port)] : convert.splitBundle(p, ip, port, alwaysArray);
}

const pick = (m) => ({ topic: m.topic, payload: m.payload, osc: m.osc });

describe('osc-codec node', function () {
  afterEach(async () => {
    await helper.unload();
  });

  const MESSAGE = codec.encodePacket({
    address: '/mixer/ch/1',
    args: [{ type: 'i', value: 3 }, { type: 'f', value: 0.5 }, 'vox', true, null],
  });
  const BUNDLE = codec.encodePacket({
    timetag: { seconds: 3900000000, fraction: 77 },
    packets: [
      { address: '/a', args: [1] },
      { timetag: { seconds: 3900000001, fraction: 0 }, packets: [{ address: '/b', args: ['x'] }] },
      { address: '/c', args: [] },
    ],
  });

  it('decodes a Buffer into exactly the msgs osc-in emits, keeping the rest of the msg', async () => {
    await helper.load(oscCodec, flow());
    const c1 = helper.getNode('c1');
    const got = collect(helper.getNode('out'), 4);
    c1.receive({ payload: MESSAGE, ip: '10.0.0.7', port: 9000, _session: { type: 'tcp', id: 's1' }, extra: 'kept' });
    c1.receive({ payload: BUNDLE, ip: '10.0.0.8', port: 9001 });
    const msgs = await got;
    const want = [...oscInWould(MESSAGE, '10.0.0.7', 9000), ...oscInWould(BUNDLE, '10.0.0.8', 9001)];
    assert.deepEqual(msgs.map(pick), want.map(pick));
    assert.deepEqual(msgs[0].payload, [3, 0.5, 'vox', true, null]);
    assert.equal(msgs[0].osc.types, ',ifsTN');
    assert.deepEqual(
      [msgs[0].ip, msgs[0].port, msgs[0]._session, msgs[0].extra],
      ['10.0.0.7', 9000, { type: 'tcp', id: 's1' }, 'kept'],
    );
    assert.deepEqual(
      msgs.slice(1).map((m) => [m.topic, m.ip, m.port]),
      [
        ['/a', '10.0.0.8', 9001],
        ['/b', '10.0.0.8', 9001],
        ['/c', '10.0.0.8', 9001],
      ],
    );
    assert.deepEqual(msgs[2].osc.timetag, { seconds: 3900000001, fraction: 0 });
  });

  it('honours whole bundles, always-an-array and lenient decoding like osc-in', async () => {
    await helper.load(oscCodec, flow({ bundles: 'whole', payloadArray: true, lenient: true }));
    const c1 = helper.getNode('c1');
    const got = collect(helper.getNode('out'), 3);
    const noTags = hex('2f6f6c640000000000000001'); // "/old" and an int with no type-tag string
    c1.receive({ payload: BUNDLE });
    c1.receive({ payload: codec.encodePacket({ address: '/one', args: [5] }) });
    c1.receive({ payload: noTags });
    const [b, one, old] = await got;
    assert.deepEqual(pick(b), pick(oscInWould(BUNDLE, '', 0, { whole: true })[0]));
    assert.equal(b.topic, '#bundle');
    assert.deepEqual(one.payload, [5]);
    assert.equal(old.topic, '/old');
  });

  it('decodes every valid conformance vector to what osc-in makes of it', async () => {
    await helper.load(oscCodec, flow({ bundles: 'whole' }));
    const c1 = helper.getNode('c1');
    const got = collect(helper.getNode('out'), vectors.valid.length);
    for (const v of vectors.valid) c1.receive({ payload: hex(v.hex) });
    const msgs = await got;
    msgs.forEach((m, k) =>
      assert.deepEqual(
        pick(m),
        pick(oscInWould(hex(vectors.valid[k].hex), '', 0, { whole: true })[0]),
        vectors.valid[k].name,
      ),
    );
  });

  it('encodes a msg into the bytes osc-out sends: topic or fixed address, number policy, msg.types, bundles', async () => {
    await helper.load(oscCodec, flow());
    const c1 = helper.getNode('c1');
    const got = collect(helper.getNode('out'), 4);
    await feed(c1, [
      { topic: '/synth/freq', payload: [440, 0.5, 'saw'], keep: 1 },
      { topic: '/fader', payload: 1, types: ',f' },
      { payload: '/text 1 2.5 foo' },
      {
        payload: [
          { topic: '/a', payload: 1 },
          { topic: '/b', payload: 'x' },
        ],
        timetag: { seconds: 3900000000, fraction: 1 },
      },
    ]);
    const [a, b, c, d] = await got;
    assert.deepEqual(a.payload, codec.encodePacket({ address: '/synth/freq', args: [440, 0.5, 'saw'] }));
    assert.equal(a.keep, 1, 'the rest of the msg travels on');
    assert.equal(a.topic, '/synth/freq');
    assert.deepEqual(asMessage(codec.decodePacket(b.payload)).args, [{ type: 'f', value: 1 }]);
    assert.deepEqual(codec.decodePacket(c.payload), {
      address: '/text',
      args: [
        { type: 'i', value: 1 },
        { type: 'f', value: 2.5 },
        { type: 's', value: 'foo' },
      ],
    });
    assert.deepEqual(
      asBundle(codec.decodePacket(d.payload)).packets.map((p) => p.address),
      ['/a', '/b'],
    );
    await helper.unload();

    await helper.load(oscCodec, flow({ address: '/fixed', numbers: 'double', action: 'encode' }));
    const got2 = collect(helper.getNode('out'), 2);
    helper.getNode('c1').receive({ topic: '/ignored', payload: 2 });
    // With action 'encode' a Buffer payload is a blob argument, not bytes to decode.
    helper.getNode('c1').receive({ payload: Buffer.from([1, 2, 3]) });
    const [e, blob] = await got2;
    assert.deepEqual(codec.decodePacket(e.payload), { address: '/fixed', args: [{ type: 'd', value: 2 }] });
    assert.deepEqual(asMessage(codec.decodePacket(blob.payload)).args[0].type, 'b');
  });

  it('round-trips: encode then decode gives back the typed message, re-encoded byte for byte', async () => {
    await helper.load(oscCodec, [
      { id: 'f1', type: 'tab' },
      { id: 'enc', z: 'f1', type: 'osc-codec', action: 'encode', framing: 'slip', wires: [['dec']] },
      { id: 'dec', z: 'f1', type: 'osc-codec', action: 'decode', framing: 'slip', wires: [['enc2']] },
      { id: 'enc2', z: 'f1', type: 'osc-codec', action: 'encode', framing: 'none', wires: [['out']] },
      { id: 'out', z: 'f1', type: 'helper' },
    ]);
    const got = collect(helper.getNode('out'), 1);
    helper.getNode('enc').receive({ topic: '/x', payload: [{ type: 'f', value: 1 }, { type: 'h', value: 5n }, 'é'] });
    const [m] = await got;
    assert.deepEqual(
      m.payload,
      codec.encodePacket({ address: '/x', args: [{ type: 'f', value: 1 }, { type: 'h', value: 5n }, 'é'] }),
    );
  });

  for (const v of vectors.framing) {
    it(`deframes the stream vector "${v.name}" in one chunk and in 1-byte chunks, and frames the packet the same way`, async () => {
      await helper.load(oscCodec, flow({ framing: v.framing }));
      const c1 = helper.getNode('c1');
      const stream = hex(v.stream_hex);
      const got = collect(helper.getNode('out'), 2);
      c1.receive({ payload: stream });
      for (const b of stream) c1.receive({ payload: Buffer.from([b]) });
      const msgs = await got;
      const want = pick(oscInWould(hex(v.packet_hex), '', 0)[0]);
      assert.deepEqual(msgs.map(pick), [want, want]);
      const framed = collect(helper.getNode('out'), 1);
      // A lone Buffer payload would be decoded (action 'auto'): as an array it is the blob argument it was.
      c1.receive({
        topic: want.topic,
        osc: want.osc,
        payload: Buffer.isBuffer(want.payload) ? [want.payload] : want.payload,
      });
      const [f] = await framed;
      if (v.framing === 'slip') assert.deepEqual(f.payload, stream, 'SLIP with a double END, as OSC 1.1 asks');
      else assert.deepEqual(f.payload, stream);
    });
  }

  it('reassembles two connections interleaved byte by byte, one stream per msg._session', async () => {
    await helper.load(oscCodec, flow({ framing: 'slip' }));
    const c1 = helper.getNode('c1');
    const a = Buffer.concat([
      slipEncode(codec.encodePacket({ address: '/a', args: [1] })),
      slipEncode(codec.encodePacket({ address: '/a2', args: [] })),
    ]);
    const b = slipEncode(codec.encodePacket({ address: '/b', args: ['bee'] }));
    const got = collect(helper.getNode('out'), 3);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i < a.length) c1.receive({ payload: a.subarray(i, i + 1), _session: { type: 'tcp', id: 'A' } });
      if (i < b.length) c1.receive({ payload: b.subarray(i, i + 1), _session: { type: 'tcp', id: 'B' } });
    }
    const msgs = await got;
    const byTopic = Object.fromEntries(msgs.map((m) => [m.topic, m._session.id]));
    assert.deepEqual(byTopic, { '/a': 'A', '/a2': 'A', '/b': 'B' });
    assert.deepEqual(
      msgs.filter((m) => m._session.id === 'A').map((m) => m.topic),
      ['/a', '/a2'],
    );
  });

  it('accepts single-END SLIP, drops empty frames, resynchronises after garbage and reports it to Catch', async () => {
    await helper.load(oscCodec, flow({ framing: 'slip' }));
    const c1 = helper.getNode('c1');
    const p1 = codec.encodePacket({ address: '/ok1', args: [1] });
    const p2 = codec.encodePacket({ address: '/ok2', args: [2] });
    const got = collect(helper.getNode('out'), 2);
    const caught = collect(helper.getNode('caught'), 1);
    // p1 with only a trailing END, empty frames, a bad escape (DB 01) in garbage, then p2 after the END.
    await feed(c1, [{ payload: Buffer.concat([p1, hex('c0c0c0'), hex('0102db0104c0'), p2, hex('c0')]) }]);
    const msgs = await got;
    assert.deepEqual(
      msgs.map((m) => m.topic),
      ['/ok1', '/ok2'],
    );
    const [err] = await caught;
    assert.equal(err.error.code, 'BAD_FRAME');
    assert.match(err.error.message, /invalid SLIP escape/);
  });

  it('refuses a size prefix over the limit without buffering it, then starts afresh with the next msg', async () => {
    await helper.load(oscCodec, flow({ framing: 'length-prefix' }));
    const c1 = helper.getNode('c1');
    const caught = collect(helper.getNode('caught'), 1);
    const got = collect(helper.getNode('out'), 1);
    await feed(c1, [{ payload: hex('7fffffff00000000') }]);
    const [err] = await caught;
    assert.equal(err.error.code, 'LIMIT_EXCEEDED');
    assert.match(err.error.message, /cannot be resynchronised/);
    await feed(c1, [{ payload: lengthPrefixEncode(codec.encodePacket({ address: '/after', args: [] })) }]);
    assert.equal((await got)[0].topic, '/after');
  });

  it('reports malformed packets, non-Buffer input to decode and unencodable msgs to Catch, sending nothing', async () => {
    await helper.load(oscCodec, flow());
    const c1 = helper.getNode('c1');
    const out = helper.getNode('out');
    let sent = 0;
    out.on('input', () => sent++);
    const caught = collect(helper.getNode('caught'), 4);
    await feed(c1, [
      { payload: hex('2f61000000') }, // address, no type tags, truncated
      { payload: hex(vectors.malformed.find((m) => /unknown type tag/i.test(m.name)).hex) },
      { topic: 'no-slash', payload: 1 },
      { payload: 1 },
    ]);
    const errs = await caught;
    assert.equal(sent, 0);
    assert.deepEqual(errs.map((e) => e.error.code).slice(2), ['BAD_ADDRESS', 'NO_ADDRESS']);
    assert.match(errs[0].error.message, /malformed OSC packet/);
    assert.equal(errs[1].error.code, 'UNKNOWN_TYPE_TAG');
    assert.ok(Buffer.isBuffer(errs[0].payload), 'the raw bytes stay in msg.payload for the Catch node');
    await helper.unload();

    await helper.load(oscCodec, flow({ action: 'decode' }));
    const caught2 = collect(helper.getNode('caught'), 1);
    helper.getNode('c1').receive({ payload: 'text' });
    assert.equal((await caught2)[0].error.code, 'BAD_INPUT');
  });

  describe('with core nodes over real sockets', () => {
    it('udp in → osc-codec: OSC datagrams become msgs with the sender in msg.ip/msg.port', async () => {
      const port = await freeUdpPort();
      await helper.load(
        [udpNodes, oscCodec],
        [
          { id: 'f1', type: 'tab' },
          {
            id: 'u1',
            z: 'f1',
            type: 'udp in',
            iface: '',
            port: String(port),
            ipv: 'udp4',
            multicast: 'false',
            group: '',
            datatype: 'buffer',
            wires: [['c1']],
          },
          { id: 'c1', z: 'f1', type: 'osc-codec', action: 'auto', framing: 'none', wires: [['out']] },
          { id: 'out', z: 'f1', type: 'helper' },
        ],
      );
      const s = await udpPeer();
      const got = collect(helper.getNode('out'), 1);
      // The udp in node binds asynchronously: send until the first datagram is heard.
      const timer = setInterval(() => s.send(MESSAGE, port, '127.0.0.1'), 50);
      try {
        const [m] = await got;
        assert.deepEqual(pick(m), pick(oscInWould(MESSAGE, '127.0.0.1', s.address().port)[0]));
        assert.deepEqual([m.ip, m.port], ['127.0.0.1', s.address().port]);
      } finally {
        clearInterval(timer);
        s.close();
      }
    });

    it('osc-codec → udp out: a msg leaves as one OSC datagram', async () => {
      const s = await udpPeer();
      await helper.load(
        [udpNodes, oscCodec],
        [
          { id: 'f1', type: 'tab' },
          { id: 'c1', z: 'f1', type: 'osc-codec', action: 'auto', framing: 'none', wires: [['u1']] },
          {
            id: 'u1',
            z: 'f1',
            type: 'udp out',
            addr: '127.0.0.1',
            iface: '',
            port: String(s.address().port),
            ipv: 'udp4',
            outport: '',
            base64: false,
            multicast: 'false',
          },
        ],
      );
      const got = once(s, 'message');
      // The udp out node only takes input once its socket is set up (after a timer): send until one arrives.
      const timer = setInterval(() => helper.getNode('c1').receive({ topic: '/from/codec', payload: [1, 'two'] }), 50);
      const [bytes] = await got.finally(() => clearInterval(timer));
      assert.deepEqual(codec.decodePacket(bytes), {
        address: '/from/codec',
        args: [
          { type: 'i', value: 1 },
          { type: 's', value: 'two' },
        ],
      });
      s.close();
    });

    it('tcp in (stream) → SLIP osc-codec → tcp out (reply): packets split across TCP segments, answer on the same connection', async () => {
      const port = await freeTcpPort();
      await helper.load(
        [tcpNodes, oscCodec],
        [
          { id: 'f1', type: 'tab' },
          {
            id: 't1',
            z: 'f1',
            type: 'tcp in',
            server: 'server',
            host: '',
            port: String(port),
            datamode: 'stream',
            datatype: 'buffer',
            newline: '',
            topic: '',
            base64: false,
            wires: [['dec']],
          },
          { id: 'dec', z: 'f1', type: 'osc-codec', action: 'decode', framing: 'slip', wires: [['out', 'enc']] },
          {
            id: 'enc',
            z: 'f1',
            type: 'osc-codec',
            action: 'encode',
            framing: 'slip',
            address: '/ack',
            wires: [['t2']],
          },
          { id: 't2', z: 'f1', type: 'tcp out', host: '', port: '', beserver: 'reply', base64: false, end: false },
          { id: 'out', z: 'f1', type: 'helper' },
        ],
      );
      const sock = await connectWhenListening(port);
      const received = [];
      const keep = (d) => received.push(d);
      sock.on('data', keep);
      const got = collect(helper.getNode('out'), 2);
      const stream = Buffer.concat([
        slipEncode(codec.encodePacket({ address: '/cue/1/go', args: [] })),
        slipEncode(codec.encodePacket({ address: '/blob', args: [Buffer.from([0xc0, 0xdb, 0x00])] })),
      ]);
      for (const b of stream) {
        // Each byte its own TCP segment (Nagle off, one write per byte, waiting for it to drain).
        await new Promise((r) => sock.write(Buffer.from([b]), r));
      }
      const msgs = await got;
      assert.deepEqual(
        msgs.map((m) => m.topic),
        ['/cue/1/go', '/blob'],
      );
      assert.deepEqual(msgs[1].payload, Buffer.from([0xc0, 0xdb, 0x00]));
      const acks = [];
      const deframer = new SlipDecoder();
      sock.off('data', keep);
      for (const d of received.splice(0)) acks.push(...deframer.push(d));
      sock.on('data', (d) => acks.push(...deframer.push(d)));
      while (acks.length < 2) await once(sock, 'data');
      assert.deepEqual(
        acks.map((p) => codec.decodePacket(p)),
        [
          { address: '/ack', args: [] },
          { address: '/ack', args: [{ type: 'b', value: Buffer.from([0xc0, 0xdb, 0x00]) }] },
        ],
      );
      sock.destroy();
    });
  });
});

/** The core tcp in node listens asynchronously: retry the connection until it is accepted. */
async function connectWhenListening(port) {
  for (;;) {
    const sock = net.connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    try {
      await once(sock, 'connect');
      return sock;
    } catch {
      sock.destroy();
      await new Promise((r) => setImmediate(r));
    }
  }
}
