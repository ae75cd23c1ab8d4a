'use strict';
// SLIP framing (OSC 1.1 streams): encoder bytes, and a decoder that reassembles across any chunking, accepts
// single and double END, drops empty frames and resynchronises after garbage without ever holding much memory.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { slipEncode, SlipDecoder } = require('../dist/osc/slip');
const vectors = require('./fixtures/vectors.json');
const { hex, toHex, chunkAt, decodeAll } = require('./helpers/net');

const SEED = 20261126;

function collecting(options = {}) {
  const errors = [];
  const decoder = new SlipDecoder({ ...options, onError: (e, fatal) => errors.push({ code: e.code, fatal }) });
  return { decoder, errors };
}

describe('SLIP framing', () => {
  const slipVectors = vectors.framing.filter((v) => v.framing === 'slip');

  it('has SLIP framing vectors to check', () => {
    assert.ok(slipVectors.length >= 2);
  });

  for (const v of slipVectors) {
    it(`encodes the vector "${v.name}" byte for byte`, () => {
      assert.equal(slipEncode(hex(v.packet_hex)).toString('hex'), v.stream_hex);
    });

    it(`decodes the vector "${v.name}" whole and one byte at a time`, () => {
      const stream = hex(v.stream_hex);
      assert.deepEqual(toHex(new SlipDecoder().push(stream)), [v.packet_hex]);
      const bytes = [...stream].map((b) => Buffer.from([b]));
      const { decoder, errors } = collecting();
      assert.deepEqual(toHex(decodeAll(decoder, bytes)), [v.packet_hex]);
      assert.deepEqual(errors, []);
      assert.equal(decoder.buffered, 0);
    });
  }

  it('escapes END and ESC, including at the edges of the packet', () => {
    assert.equal(slipEncode(hex('c0')).toString('hex'), 'c0dbdcc0');
    assert.equal(slipEncode(hex('db')).toString('hex'), 'c0dbddc0');
    assert.equal(slipEncode(hex('c0dbc0')).toString('hex'), 'c0dbdcdbdddbdcc0');
    assert.equal(slipEncode(new Uint8Array([1, 2, 3, 4])).toString('hex'), 'c001020304c0');
  });

  it('accepts a single END after each packet, as RFC 1055 senders write', () => {
    const stream = hex('01020304c0dbdc000000c0');
    assert.deepEqual(toHex(new SlipDecoder().push(stream)), ['01020304', 'c0000000']);
  });

  it('drops empty frames between repeated ENDs', () => {
    const { decoder, errors } = collecting();
    assert.deepEqual(toHex(decoder.push(hex('c0c0c0c0aabbccddc0c0c0'))), ['aabbccdd']);
    assert.deepEqual(errors, []);
  });

  it('drops a frame with an invalid escape, reports it, and decodes the next frame', () => {
    const { decoder, errors } = collecting();
    const got = decoder.push(hex('c0aabbccddc0' + 'c01122db0133c0' + 'c044556677c0'));
    assert.deepEqual(toHex(got), ['aabbccdd', '44556677']);
    assert.deepEqual(errors, [{ code: 'BAD_FRAME', fatal: false }]);
    assert.equal(decoder.dropped, 1);
    assert.equal(decoder.failed, false);
  });

  it('treats ESC followed by END as an invalid escape, ending that frame there', () => {
    for (const chunks of [[hex('c01122dbc0aabbccddc0')], [hex('c01122db'), hex('c0aabbccddc0')]]) {
      const { decoder, errors } = collecting();
      assert.deepEqual(toHex(decodeAll(decoder, chunks)), ['aabbccdd']);
      assert.deepEqual(errors, [{ code: 'BAD_FRAME', fatal: false }]);
    }
  });

  it('reports an invalid escape split across chunks with its offset in the stream', () => {
    /** @type {any} */
    let seen;
    const decoder = new SlipDecoder({ onError: (e) => (seen = e) });
    decoder.push(hex('c01122db'));
    decoder.push(hex('77c0'));
    assert.equal(seen.code, 'BAD_FRAME');
    assert.equal(seen.offset, 4);
  });

  it('counts dropped frames even without an error handler', () => {
    const decoder = new SlipDecoder();
    assert.deepEqual(toHex(decoder.push(hex('c0db00c0c001020304c0'))), ['01020304']);
    assert.equal(decoder.dropped, 1);
  });

  it('skips a megabyte of bad escapes without building an error per frame when nobody listens', () => {
    const unit = hex('db00c0');
    const junk = Buffer.concat([...Array(Math.ceil(1048576 / 3)).fill(unit), hex('c001020304c0')]);
    const decoder = new SlipDecoder();
    // A regression guard, not a benchmark: building an Error per frame took about 1.5 s here, skipping them
    // takes a few tens of ms; the bound leaves a shared machine plenty of room.
    const t0 = process.hrtime.bigint();
    assert.deepEqual(toHex(decoder.push(junk)), ['01020304']);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(decoder.dropped, Math.ceil(1048576 / 3));
    assert.ok(ms < 1000, `${ms.toFixed(0)} ms for ${decoder.dropped} bad frames`);
  });

  it('asks shouldReport before building each error, and still counts and resynchronises when told no', () => {
    let asked = 0;
    const errors = [];
    const decoder = new SlipDecoder({
      shouldReport: () => ++asked === 2, // only the second bad frame is wanted
      onError: (e, fatal) => errors.push({ code: e.code, offset: e.offset, fatal }),
    });
    const got = decoder.push(hex('c0db00c0' + 'c0aadb01c0' + 'c0dbc0' + 'c0bbc0'));
    assert.deepEqual(toHex(got), ['bb']);
    assert.equal(asked, 3);
    assert.equal(decoder.dropped, 3);
    assert.deepEqual(errors, [{ code: 'BAD_FRAME', offset: 7, fatal: false }]);
  });

  it('drops a frame growing past maxFrameSize without buffering it, then recovers at the next END', () => {
    const { decoder, errors } = collecting({ maxFrameSize: 8 });
    // 1000 bytes with no END, fed in small chunks: memory must stay bounded by maxFrameSize.
    decoder.push(hex('c0'));
    for (let i = 0; i < 100; i++) {
      assert.deepEqual(decoder.push(Buffer.alloc(10, 0x41)), []);
      assert.ok(decoder.buffered <= 8, `buffered ${decoder.buffered}`);
    }
    assert.deepEqual(toHex(decoder.push(hex('c0c00102030405060708c0'))), ['0102030405060708']);
    assert.deepEqual(errors, [{ code: 'LIMIT_EXCEEDED', fatal: false }]);
  });

  it('drops an oversized frame that arrives whole in one chunk', () => {
    const { decoder, errors } = collecting({ maxFrameSize: 4 });
    assert.deepEqual(toHex(decoder.push(hex('c00102030405c0c001020304c0'))), ['01020304']);
    assert.deepEqual(errors, [{ code: 'LIMIT_EXCEEDED', fatal: false }]);
  });

  it('counts maxFrameSize against the unescaped packet, not the escaped bytes', () => {
    const packet = hex('c0c0c0c0');
    const decoder = new SlipDecoder({ maxFrameSize: 4 });
    assert.deepEqual(toHex(decoder.push(slipEncode(packet))), ['c0c0c0c0']);
  });

  it('refuses a nonsensical maxFrameSize', () => {
    assert.throws(() => new SlipDecoder({ maxFrameSize: 0 }), RangeError);
    assert.throws(() => new SlipDecoder({ maxFrameSize: 1.5 }), RangeError);
  });

  it('reset() forgets a partial frame', () => {
    const decoder = new SlipDecoder();
    decoder.push(hex('c0010203'));
    assert.equal(decoder.buffered, 3);
    decoder.reset();
    assert.equal(decoder.buffered, 0);
    assert.deepEqual(toHex(decoder.push(hex('0a0b0c0dc0'))), ['0a0b0c0d']);
  });

  it('accepts a plain Uint8Array chunk and returns Buffers', () => {
    const got = new SlipDecoder().push(new Uint8Array([0xc0, 1, 2, 3, 4, 0xc0]));
    assert.ok(Buffer.isBuffer(got[0]));
    assert.deepEqual([...got[0]], [1, 2, 3, 4]);
  });

  it('round-trips random packets through any chunking, single or double END (property)', () => {
    const packet = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => {
      // Bias towards the special bytes so escapes at every position are exercised.
      return a.map((b) => (b % 4 === 0 ? 0xc0 : b % 4 === 1 ? 0xdb : b));
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(packet, fc.boolean()), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (items, cuts) => {
          const parts = items.map(([p, double]) => {
            const framed = slipEncode(p);
            return double ? framed : framed.subarray(1); // single END: only the terminator
          });
          const stream = Buffer.concat(parts);
          const { decoder, errors } = collecting();
          const got = decodeAll(decoder, chunkAt(stream, cuts));
          assert.deepEqual(
            toHex(got),
            items.map(([p]) => Buffer.from(p).toString('hex')),
          );
          assert.deepEqual(errors, []);
          assert.equal(decoder.buffered, 0);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('resynchronises after random garbage frames: every valid frame that follows is decoded (property)', () => {
    const garbage = fc.uint8Array({ minLength: 1, maxLength: 20 }).map((a) => a.filter((b) => b !== 0xc0));
    fc.assert(
      fc.property(
        garbage,
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 32 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (junk, packets, cuts) => {
          const stream = Buffer.concat([Buffer.from(junk), ...packets.map((p) => slipEncode(p))]);
          const { decoder, errors } = collecting();
          const got = toHex(decodeAll(decoder, chunkAt(stream, cuts)));
          const want = packets.map((p) => Buffer.from(p).toString('hex'));
          // The garbage either forms one bogus frame (for the codec to reject) or is dropped as a bad escape.
          const extra = got.length - want.length;
          assert.ok(extra === 0 || extra === 1, `got ${got.length} for ${want.length}`);
          assert.deepEqual(got.slice(extra), want);
          assert.equal(errors.length + extra, junk.length > 0 ? 1 : 0);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
