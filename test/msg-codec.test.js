'use strict';
// osc-codec's work (src/nodes/msg-codec.ts) and its status (status.ts), without Node-RED.
const assert = require('node:assert/strict');
const codec = require('../dist/osc/codec');
const { slipEncode, lengthPrefixEncode } = require('../dist/osc/framing');
const { MsgCodec, MAX_STREAMS } = require('../dist/nodes/msg-codec');
const { codecStatus } = require('../dist/nodes/status');
const { Texts } = require('../dist/nodes/texts');

/** Runs msg through c, returning what it sent and the error it returned. */
function run(c, msg) {
  const sent = [];
  const err = c.handle(msg, (out) => sent.push(out));
  return { sent, err };
}

const MSG = codec.encodePacket({ address: '/a', args: [1, 'x'] });
const BUNDLE = codec.encodePacket({
  timetag: { seconds: 1, fraction: 0 },
  packets: [
    { address: '/b', args: [] },
    { address: '/c', args: [2.5] },
  ],
});

describe('osc-codec work (MsgCodec)', () => {
  it('decodes bytes into one msg per message, keeping the rest of the msg; a bundle in one send, in order', () => {
    const c = new MsgCodec({});
    let { sent, err } = run(c, { payload: MSG, ip: '10.0.0.1', port: 9, keep: true });
    assert.equal(err, undefined);
    assert.deepEqual(sent, [
      {
        payload: [1, 'x'],
        topic: '/a',
        ip: '10.0.0.1',
        port: 9,
        keep: true,
        osc: {
          address: '/a',
          types: ',is',
          args: [
            { type: 'i', value: 1 },
            { type: 's', value: 'x' },
          ],
        },
      },
    ]);
    ({ sent } = run(c, { payload: BUNDLE }));
    assert.equal(sent.length, 1);
    assert.deepEqual(
      sent[0][0].map((m) => m.topic),
      ['/b', '/c'],
    );
    assert.equal(c.decoded, 3);
  });

  it('encodes anything else, with the configured address and number policy, framed if asked', () => {
    const c = new MsgCodec({ address: ' /fixed ', numbers: 'float', framing: 'slip' });
    const msg = { topic: '/ignored', payload: 1 };
    const { sent, err } = run(c, msg);
    assert.equal(err, undefined);
    assert.equal(sent[0], msg, 'the same msg, its payload replaced');
    assert.deepEqual(
      msg.payload,
      slipEncode(codec.encodePacket({ address: '/fixed', args: [{ type: 'f', value: 1 }] })),
    );
    assert.equal(c.encoded, 1);
  });

  it('returns keyed errors with their codes and counts them; what decoded is still sent', () => {
    const c = new MsgCodec({ action: 'decode' });
    let { sent, err } = run(c, { payload: 'text' });
    assert.deepEqual(err, { code: 'BAD_INPUT', key: 'decode.not-bytes', params: { type: 'string' } });
    assert.deepEqual(sent, []);
    ({ err } = run(c, { payload: MSG.subarray(0, 6) }));
    assert.equal(err.code, 'BAD_SIZE');
    assert.equal(err.key, 'decode.packet');
    assert.equal(err.params.bytes, 6);
    const enc = new MsgCodec({ action: 'encode' });
    ({ err } = run(enc, { payload: 1 }));
    assert.equal(err.code, 'NO_ADDRESS');
    ({ err } = run(enc, { topic: '/a', payload: 1, types: ',s' }));
    assert.equal(err.key, 'convert.encode-argument');
    assert.equal(err.params.index, 0);
    assert.deepEqual([c.failed, c.lastCode, enc.failed, enc.lastCode], [2, 'BAD_SIZE', 2, err.code]);
    const texts = new Texts('osc-codec');
    assert.equal(
      texts.t('decode.not-bytes', { type: 'string' }),
      'to decode, msg.payload must be a Buffer of OSC bytes, not string',
    );
  });

  it('reassembles a stream per msg._session, and counts every bad frame of one chunk', () => {
    const c = new MsgCodec({ framing: 'length-prefix' });
    const framed = lengthPrefixEncode(MSG);
    const a = run(c, { payload: framed.subarray(0, 5), _session: { id: 'A' } });
    const b = run(c, { payload: framed, _session: { id: 'B' } });
    const a2 = run(c, { payload: framed.subarray(5), _session: { id: 'A' } });
    assert.deepEqual([a.sent.length, b.sent.length, a2.sent.length], [0, 1, 1]);
    const slip = new MsgCodec({ framing: 'slip' });
    const bad = Buffer.from([0xc0, 0xdb, 0x01, 0xc0, 0xdb, 0x02, 0xc0]);
    const { err } = run(slip, { payload: Buffer.concat([bad, slipEncode(MSG)]) });
    assert.equal(err.code, 'BAD_FRAME');
    assert.equal(err.key, 'decode.slip');
    assert.equal(slip.failed, 2, 'both bad frames counted, one reported');
    assert.equal(slip.decoded, 1);
  });

  it('forgets the least recently used stream beyond MAX_STREAMS', () => {
    const c = new MsgCodec({ framing: 'length-prefix' });
    const framed = lengthPrefixEncode(MSG);
    run(c, { payload: framed.subarray(0, 5), _session: { id: 0 } });
    for (let i = 1; i <= MAX_STREAMS; i++) run(c, { payload: framed.subarray(0, 5), _session: { id: i } });
    // Session 0's partial frame is gone: its rest alone is not a message.
    const { sent } = run(c, { payload: framed.subarray(5), _session: { id: 0 } });
    assert.equal(sent.length, 0);
    const kept = run(c, { payload: framed.subarray(5), _session: { id: MAX_STREAMS } });
    assert.equal(kept.sent.length, 1);
  });

  it('shows what it did in its status, yellow once something failed', () => {
    const t = new Texts('osc-codec');
    assert.deepEqual(codecStatus(t, { decoded: 3, encoded: 0, failed: 0, lastCode: '' }), {
      fill: 'green',
      shape: 'dot',
      text: '3 decoded',
    });
    assert.deepEqual(codecStatus(t, { decoded: 1, encoded: 2, failed: 1, lastCode: 'BAD_SIZE' }), {
      fill: 'yellow',
      shape: 'dot',
      text: '1 decoded · 2 encoded · 1 failed (BAD_SIZE)',
    });
  });
});
