'use strict';
// The OSC 1.0 int32 size prefix, 'auto' detection, and the framing helpers the TCP transport uses.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const {
  lengthPrefixEncode,
  LengthPrefixDecoder,
  AutoDecoder,
  createStreamDecoder,
  encodeFrame,
  slipEncode,
} = require('../dist/osc/framing');
const vectors = require('./fixtures/vectors.json');
const { hex, toHex, chunkAt, decodeAll } = require('./helpers/net');

const SEED = 20261126;

function collecting(Decoder, options = {}) {
  const errors = [];
  const decoder = new Decoder({ ...options, onError: (e, fatal) => errors.push({ code: e.code, fatal, e }) });
  return { decoder, errors };
}

describe('length-prefix framing (OSC 1.0 streams)', () => {
  const lpVectors = vectors.framing.filter((v) => v.framing === 'length-prefix');

  it('has size-prefix framing vectors to check', () => {
    assert.ok(lpVectors.length >= 1);
  });

  for (const v of lpVectors) {
    it(`encodes the vector "${v.name}" byte for byte`, () => {
      assert.equal(lengthPrefixEncode(hex(v.packet_hex)).toString('hex'), v.stream_hex);
      assert.equal(encodeFrame('length-prefix', hex(v.packet_hex)).toString('hex'), v.stream_hex);
    });

    it(`decodes the vector "${v.name}" whole and one byte at a time`, () => {
      const stream = hex(v.stream_hex);
      assert.deepEqual(toHex(new LengthPrefixDecoder().push(stream)), [v.packet_hex]);
      const { decoder, errors } = collecting(LengthPrefixDecoder);
      const got = decodeAll(
        decoder,
        [...stream].map((b) => Buffer.from([b])),
      );
      assert.deepEqual(toHex(got), [v.packet_hex]);
      assert.deepEqual(errors, []);
      assert.equal(decoder.buffered, 0);
    });
  }

  it('decodes several packets in one chunk as views, without copying', () => {
    const stream = Buffer.concat([lengthPrefixEncode(hex('01020304')), lengthPrefixEncode(hex('0506070809101112'))]);
    const got = new LengthPrefixDecoder().push(stream);
    assert.deepEqual(toHex(got), ['01020304', '0506070809101112']);
    assert.equal(got[0].buffer, stream.buffer);
  });

  it('skips zero-size frames', () => {
    const { decoder, errors } = collecting(LengthPrefixDecoder);
    assert.deepEqual(toHex(decoder.push(hex('00000000' + '00000004aabbccdd' + '00000000'))), ['aabbccdd']);
    assert.deepEqual(errors, []);
  });

  it('refuses a frame over maxFrameSize as a fatal error, without buffering it', () => {
    const { decoder, errors } = collecting(LengthPrefixDecoder, { maxFrameSize: 16 });
    const got = decoder.push(hex('00000004aabbccdd' + '00000014' + '00'.repeat(8)));
    assert.deepEqual(toHex(got), ['aabbccdd']);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'LIMIT_EXCEEDED');
    assert.equal(errors[0].fatal, true);
    assert.equal(errors[0].e.offset, 8);
    assert.match(errors[0].e.message, /20 over maxFrameSize 16/);
    assert.equal(decoder.failed, true);
    assert.equal(decoder.buffered, 0);
    // Once failed, nothing more comes out (the caller closes the connection).
    assert.deepEqual(decoder.push(hex('00000004aabbccdd')), []);
    assert.equal(errors.length, 1);
  });

  it('refuses a negative size as a fatal error, even when split across chunks', () => {
    const { decoder, errors } = collecting(LengthPrefixDecoder);
    assert.deepEqual(decoder.push(hex('ff')), []);
    assert.deepEqual(decoder.push(hex('ffff')), []);
    assert.deepEqual(errors, []);
    decoder.push(hex('fc'));
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'LIMIT_EXCEEDED');
    assert.match(errors[0].e.message, /negative frame size -4/);
    assert.equal(decoder.failed, true);
  });

  it('accepts a frame of exactly maxFrameSize', () => {
    const decoder = new LengthPrefixDecoder({ maxFrameSize: 8 });
    assert.deepEqual(toHex(decoder.push(lengthPrefixEncode(hex('0102030405060708')))), ['0102030405060708']);
  });

  it('reset() clears a failure for reuse on a new stream', () => {
    const decoder = new LengthPrefixDecoder({ maxFrameSize: 4 });
    decoder.push(hex('00000008'));
    assert.equal(decoder.failed, true);
    decoder.reset();
    assert.deepEqual(toHex(decoder.push(hex('00000004aabbccdd'))), ['aabbccdd']);
  });

  it('round-trips random packets through any chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 64 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (packets, cuts) => {
          const stream = Buffer.concat(packets.map((p) => lengthPrefixEncode(p)));
          const { decoder, errors } = collecting(LengthPrefixDecoder);
          const got = decodeAll(decoder, chunkAt(stream, cuts));
          const want = packets.filter((p) => p.length > 0).map((p) => Buffer.from(p).toString('hex'));
          assert.deepEqual(toHex(got), want);
          assert.deepEqual(errors, []);
          assert.equal(decoder.buffered, 0);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('framing helpers', () => {
  it('encodeFrame picks the framing', () => {
    assert.equal(encodeFrame('slip', hex('01020304')).toString('hex'), 'c001020304c0');
    assert.equal(encodeFrame('length-prefix', hex('01020304')).toString('hex'), '0000000401020304');
  });

  it('createStreamDecoder makes a decoder per framing and refuses an unknown one', () => {
    assert.deepEqual(toHex(createStreamDecoder('slip').push(hex('c001020304c0'))), ['01020304']);
    assert.deepEqual(toHex(createStreamDecoder('length-prefix').push(hex('0000000401020304'))), ['01020304']);
    assert.throws(() => createStreamDecoder(/** @type {any} */ ('tcp')), RangeError);
  });

  it("'auto' detects SLIP from a leading END and the size prefix otherwise, across chunks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 32 }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 20 }),
        (packets, slip, cuts) => {
          const stream = Buffer.concat(packets.map((p) => (slip ? slipEncode(p) : lengthPrefixEncode(p))));
          const decoder = new AutoDecoder();
          assert.equal(decoder.framing, null);
          // An empty first chunk must not decide anything.
          assert.deepEqual(decoder.push(Buffer.alloc(0)), []);
          const got = decodeAll(decoder, chunkAt(stream, cuts));
          assert.deepEqual(
            toHex(got),
            packets.map((p) => Buffer.from(p).toString('hex')),
          );
          assert.equal(decoder.framing, slip ? 'slip' : 'length-prefix');
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("'auto' passes errors and failure through from the decoder it picked", () => {
    const errors = [];
    const decoder = createStreamDecoder('auto', { maxFrameSize: 4, onError: (e, fatal) => errors.push(fatal) });
    decoder.push(hex('00000008'));
    assert.deepEqual(errors, [true]);
    assert.equal(decoder.failed, true);
  });
});
