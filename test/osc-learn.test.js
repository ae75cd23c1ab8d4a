'use strict';
// "Learn" without the editor (resources/osc-learn.js): a monitor row as an oscsend command line, which liblo's own
// oscsend must turn into the very packet that was seen, and as an inject -> osc out pair, whose properties, set as
// Node-RED's inject sets them and typed as osc out types them, must encode to that packet too.
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const { execFile } = require('node:child_process');
const { once } = require('node:events');
const { util: redUtil } = require('@node-red/util');
const OscLearn = require('../resources/osc-learn.js');
const { encodePacket, decodePacket } = require('../dist/osc/codec');
const { encodeMsg } = require('../dist/nodes/convert');
const { truncateArg, typeTags } = require('../dist/monitor/aggregator');

const OSCSEND = '/usr/bin/oscsend';
const LIMITS = { maxString: 200, maxBlobBytes: 16, maxArgs: 64 };

/** The row the monitor makes of a message (its own truncation), as OscMonitor.addresses() lists it. */
function rowOf(message, { direction = 'out', peer = { address: '127.0.0.1', port: 9000 }, transport = 'udp' } = {}) {
  // Decoded from the wire, as the monitor's tap sees it: float32 values rounded, strings as received.
  const m = /** @type {import('../dist/osc/codec').OscMessage} */ (decodePacket(encodePacket(message)));
  return {
    endpoint: { id: 'ep1', name: 'ep1', label: 'ep1', transport },
    direction,
    peer,
    address: m.address,
    types: typeTags(m.args),
    args: m.args.map((a) => truncateArg(a, LIMITS)),
    count: 1,
    rate: 0,
    at: Date.now(),
  };
}

const msg = (address, ...args) => ({ address, args });
const i = (value) => ({ type: 'i', value });
const f = (value) => ({ type: 'f', value });
const d = (value) => ({ type: 'd', value });
const h = (value) => ({ type: 'h', value: BigInt(value) });
const s = (value) => ({ type: 's', value });
const S = (value) => ({ type: 'S', value });
const c = (value) => ({ type: 'c', value });
const b = (bytes) => ({ type: 'b', value: Uint8Array.from(bytes) });
const m = (bytes) => ({ type: 'm', value: Uint8Array.from(bytes) });
const T = { type: 'T', value: true };
const F = { type: 'F', value: false };
const N = { type: 'N', value: null };
const I = { type: 'I' };
const arr = (...value) => ({ type: '[', value });

function run(cmd) {
  return new Promise((resolve, reject) =>
    execFile('/bin/sh', ['-c', cmd], (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd}\nfailed: ${stderr || err.message}`)) : resolve(),
    ),
  );
}

describe('osc-learn: a monitor row as an oscsend command line', () => {
  it('writes int, float and strings with quotes and spaces as a POSIX shell reads them', () => {
    const row = rowOf(msg('/mixer/ch 1', i(42), f(0.5), s(`it's "quoted" $HOME \`x\` \\n`), s('')));
    assert.equal(
      OscLearn.oscsendCommand(row),
      `oscsend 127.0.0.1 9000 '/mixer/ch 1' ifss 42 0.5 'it'\\''s "quoted" $HOME \`x\` \\n' ''`,
    );
  });

  it('gives true, false, nil and impulse as tags without values', () => {
    assert.equal(OscLearn.oscsendCommand(rowOf(msg('/flags', T, F, N, I))), 'oscsend 127.0.0.1 9000 /flags TFNI');
    assert.equal(OscLearn.oscsendCommand(rowOf(msg('/ping'))), 'oscsend 127.0.0.1 9000 /ping');
  });

  it('writes h, d, S, c and MIDI, and NaN, infinities and -0 as strtod reads them', () => {
    const row = rowOf(msg('/x', h('-9223372036854775808'), d(0.1), S('sym'), c('q'), m([0x90, 0x40, 0x7f, 0])));
    assert.equal(
      OscLearn.oscsendCommand(row),
      'oscsend 127.0.0.1 9000 /x hdScm -9223372036854775808 0.1 sym q 90407f00',
    );
    const odd = rowOf(msg('/n', f(NaN), f(Infinity), d(-Infinity), f(-0)));
    assert.equal(OscLearn.oscsendCommand(odd), 'oscsend 127.0.0.1 9000 /n ffdf nan inf -inf -0');
  });

  it('says instead what oscsend cannot send: a blob, a timetag, a colour, an array, a cut value', () => {
    const blob = OscLearn.oscsendCommand(rowOf(msg('/blob', i(1), b([1, 2, 3]))));
    assert.match(blob, /^# oscsend cannot send this message: .*a blob \(b\)/);
    assert.deepEqual(OscLearn.oscsendUnsupported(rowOf(msg('/blob', i(1), b([1, 2, 3])))), ['b']);
    const more = rowOf(
      msg(
        '/more',
        { type: 't', value: { seconds: 1, fraction: 2 } },
        { type: 'r', value: { r: 1, g: 2, b: 3, a: 4 } },
        arr(i(1)),
      ),
    );
    assert.deepEqual(OscLearn.oscsendUnsupported(more), ['t', 'r', '[]']);
    assert.match(OscLearn.oscsendCommand(more), /^# .*a timetag \(t\), an RGBA colour \(r\), an array/);
    assert.deepEqual(OscLearn.oscsendUnsupported(rowOf(msg('/long', s('x'.repeat(300))))), ['cut']);
    // A comment line: pasted into a shell it sends nothing.
    assert.ok(!blob.includes('\n'));
  });

  it("sends a received message to the endpoint's own port (replaying the device), a sent one to its peer", () => {
    const seen = rowOf(msg('/1/fader1', f(0.25)), { direction: 'in', peer: { address: '10.0.0.7', port: 51234 } });
    assert.equal(OscLearn.oscsendCommand(seen, { localPort: 8000 }), 'oscsend 127.0.0.1 8000 /1/fader1 f 0.25');
    // Its own port unknown: the peer.
    assert.equal(OscLearn.oscsendCommand(seen), 'oscsend 10.0.0.7 51234 /1/fader1 f 0.25');
    assert.equal(
      OscLearn.oscsendCommand(seen, { host: 'mixer.local', port: 10023 }),
      'oscsend mixer.local 10023 /1/fader1 f 0.25',
    );
    const tcp = rowOf(msg('/a', i(1)), { transport: 'tcp', peer: { address: '::1', port: 3032 } });
    assert.equal(OscLearn.oscsendCommand(tcp), "oscsend 'osc.tcp://[::1]:3032' /a i 1");
  });

  describe("run with liblo's oscsend, gives the packet that was seen, byte for byte", function () {
    this.timeout(20000);
    let sock;
    before(async () => {
      sock = dgram.createSocket('udp4');
      sock.bind(0, '127.0.0.1');
      await once(sock, 'listening');
    });
    after(() => sock.close());

    const cases = {
      'int, float, string': msg('/a', i(-7), f(0.1), s('hello world')),
      'quotes, dollars, backticks, newline, unicode': msg('/q', s(`it's "x" $PATH \`id\` a\nb \u00e9\u266b`), s('')),
      'float32 edge values': msg('/fl', f(1e-40), f(3.4028234663852886e38), f(-0), f(NaN), f(Infinity), f(-2.5)),
      'int32 and int64 limits': msg('/int', i(2147483647), i(-2147483648), h('9223372036854775807')),
      'double, symbol, char, MIDI': msg('/misc', d(Math.PI), d(1e300), S('sym bol'), c('z'), m([0xf0, 1, 2, 0xff])),
      'true, false, nil, impulse': msg('/flags', T, F, N, I),
      'no argument, a pattern address': msg('/synth/*/gate'),
    };
    for (const [name, message] of Object.entries(cases)) {
      it(name, async () => {
        const expected = encodePacket(message);
        const row = rowOf(message);
        const cmd = OscLearn.oscsendCommand(row, { host: '127.0.0.1', port: sock.address().port }).replace(
          /^oscsend/,
          OSCSEND,
        );
        const got = once(sock, 'message');
        await run(cmd);
        const [bytes] = await got;
        assert.deepEqual(decodePacket(bytes), decodePacket(expected), cmd);
        assert.ok(Buffer.from(bytes).equals(expected), `${cmd}\n${bytes.toString('hex')}\n${expected.toString('hex')}`);
      });
    }
  });
});

/** The msg the inject node makes: its properties in order, evaluated and set as Node-RED's inject does. */
function injected(inject) {
  /** @type {Record<string, unknown>} */
  const msg = {};
  for (const p of inject.props) {
    let v = p.v;
    let vt = p.vt;
    if (p.p === 'payload' && v === undefined) {
      v = inject.payload;
      vt = inject.payloadType;
    } else if (p.p === 'topic' && v === undefined) {
      v = inject.topic;
    }
    redUtil.setMessageProperty(msg, p.p, redUtil.evaluateNodeProperty(v, vt || 'str', null, msg), true);
  }
  return msg;
}

describe('osc-learn: a monitor row as an inject node wired to osc out', () => {
  /** The bytes osc out sends for the flow's inject msg (its default number policy, "int"). */
  function replay(message, opts) {
    const flow = OscLearn.injectFlow(rowOf(message, opts));
    const [inject, out] = flow.nodes;
    assert.equal(inject.type, 'inject');
    assert.equal(out.type, 'osc-out');
    assert.deepEqual(inject.wires, [[out.id]]);
    assert.equal(out.address, '', 'the address comes from msg.topic');
    const sent = injected(inject);
    const bytes = encodeMsg(sent, { address: out.address, numbers: out.numbers });
    assert.ok(bytes.equals(encodePacket(message)), `${JSON.stringify(inject.props)}\n${bytes.toString('hex')}`);
    return { flow, inject, out, sent };
  }

  it('sends plain values as they are when osc out would type them the same (no msg.types)', () => {
    const { sent, inject } = replay(msg('/a', i(1), f(0.5), s('x'), T, F, N));
    assert.equal(sent.types, undefined);
    assert.deepEqual(sent.payload, [1, 0.5, 'x', true, false, null]);
    assert.equal(sent.topic, '/a');
    assert.equal(inject.payloadType, 'json');
    const one = replay(msg('/v', f(0.25)));
    assert.equal(one.inject.payloadType, 'num');
    assert.equal(one.sent.payload, 0.25);
    assert.equal(replay(msg('/t', s('/not an address 1 2'))).sent.payload, '/not an address 1 2');
  });

  it('sets msg.types when a plain value would be typed differently', () => {
    /** @type {Array<[{ address: string, args: object[] }, string]>} */
    const cases = [
      [msg('/fader', f(1)), ',f'], // an integer-valued float would go as 'i'
      [msg('/d', d(0.5)), ',d'],
      [msg('/h', h(5)), ',h'],
      [msg('/sym', S('sym')), ',S'],
      [msg('/c', c('a')), ',c'],
      [msg('/bang', I), ',I'],
      [msg('/midi', m([0x90, 60, 100, 0])), ',m'],
      [msg('/tt', { type: 't', value: { seconds: 3900000000, fraction: 5 } }), ',t'],
      [msg('/rgba', { type: 'r', value: { r: 1, g: 2, b: 3, a: 4 } }), ',r'],
      [msg('/mix', i(1), f(2), s('x'), arr(f(3), i(4))), ',ifs[fi]'],
    ];
    for (const [message, types] of cases) {
      const { sent } = replay(message);
      assert.equal(sent.types, types, message.address);
    }
  });

  it('keeps an array argument, and no argument at all, as osc out reads the payload', () => {
    assert.deepEqual(replay(msg('/list', arr(i(1), i(2)))).sent.payload, [[1, 2]]);
    assert.deepEqual(replay(msg('/empty')).sent.payload, []);
  });

  it('sets blobs as buffers (an inject property of type buffer, as JSON holds no bytes)', () => {
    const alone = replay(msg('/blob', b([0, 1, 254, 255])));
    assert.equal(alone.inject.payloadType, 'bin');
    assert.ok(Buffer.isBuffer(alone.sent.payload));
    const among = replay(msg('/blobs', i(1), b([9, 8, 7]), s('x'), arr(b([5]))));
    assert.deepEqual(
      among.inject.props.filter((p) => p.vt === 'bin').map((p) => p.p),
      ['payload[1]', 'payload[3][0]'],
    );
    assert.equal(among.sent.types, undefined);
  });

  it("sends a sent message to its peer through the same endpoint; a received one to the endpoint's port here", () => {
    const sentRow = rowOf(msg('/a', i(1)), { direction: 'out', peer: { address: '192.168.1.20', port: 10023 } });
    const [, out] = OscLearn.injectFlow(sentRow).nodes;
    assert.deepEqual([out.transport, out.endpoint, out.host, out.port], ['udp', 'ep1', '192.168.1.20', '10023']);
    const inRow = rowOf(msg('/a', i(1)), { direction: 'in', peer: { address: '192.168.1.20', port: 50000 } });
    const [, back] = OscLearn.injectFlow(inRow, { localPort: 8000 }).nodes;
    assert.deepEqual([back.endpoint, back.host, back.port], ['', '127.0.0.1', '8000']);
    const tcpRow = rowOf(msg('/a', i(1)), { transport: 'tcp' });
    const [, tcp] = OscLearn.injectFlow(tcpRow).nodes;
    assert.deepEqual([tcp.transport, tcp.tcpEndpoint, tcp.host, tcp.port], ['tcp', 'ep1', '', '']);
  });

  it('says what it could not reproduce: a value the monitor cut, a NaN JSON cannot hold', () => {
    const cut = OscLearn.injectFlow(rowOf(msg('/long', s('x'.repeat(300)), b(new Array(40).fill(1)))));
    assert.deepEqual(cut.truncated, ['payload[0]', 'payload[1]']);
    const nan = OscLearn.injectFlow(rowOf(msg('/nan', f(NaN), i(1))));
    assert.deepEqual(nan.lossy, ['payload[0]']);
  });
});
