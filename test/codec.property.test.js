'use strict';
// Properties over random packets and random damage: exact round trips, and nothing but a packet or an OscError.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const vectors = require('./fixtures/vectors.json');
const { encodePacket, decodePacket, OscError } = require('../dist/osc/codec.js');

const uint32 = fc.nat(0xffffffff);
const oscString = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\0'));
const address = oscString.map((s) => '/' + s);
const bytes = (min, max) => fc.uint8Array({ minLength: min, maxLength: max }).map((u) => Buffer.from(u));

const scalarArg = fc.oneof(
  fc.integer({ min: -2147483648, max: 2147483647 }).map((value) => ({ type: 'i', value })),
  fc.float().map((value) => ({ type: 'f', value })),
  fc.double().map((value) => ({ type: 'd', value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type: 'h', value })),
  oscString.map((value) => ({ type: 's', value })),
  oscString.map((value) => ({ type: 'S', value })),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).map((value) => ({ type: 'c', value })),
  bytes(0, 9).map((value) => ({ type: 'b', value })),
  fc.record({ seconds: uint32, fraction: uint32 }, { noNullPrototype: true }).map((value) => ({ type: 't', value })),
  fc
    .record({ r: fc.nat(255), g: fc.nat(255), b: fc.nat(255), a: fc.nat(255) }, { noNullPrototype: true })
    .map((value) => ({ type: 'r', value })),
  bytes(4, 4).map((value) => ({ type: 'm', value })),
  fc.constant({ type: 'T', value: true }),
  fc.constant({ type: 'F', value: false }),
  fc.constant({ type: 'N', value: null }),
  fc.constant({ type: 'I' }),
);
const { arg } = fc.letrec((tie) => ({
  arg: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarArg,
    fc.array(tie('arg'), { maxLength: 4 }).map((value) => ({ type: '[', value })),
  ),
}));
const message = fc.record({ address, args: fc.array(arg, { maxLength: 6 }) }, { noNullPrototype: true });
const { packet } = fc.letrec((tie) => ({
  packet: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    message,
    fc.record(
      {
        timetag: fc.record({ seconds: uint32, fraction: uint32 }, { noNullPrototype: true }),
        packets: fc.array(tie('packet'), { maxLength: 3 }),
      },
      { noNullPrototype: true },
    ),
  ),
}));

/** Blobs come back as views of the packet; compare contents. f is compared after float32 rounding. */
function canonical(p) {
  if (p.packets) return { timetag: p.timetag, packets: p.packets.map(canonical) };
  return { address: p.address, args: p.args.map(canonArg) };
}
function canonArg(a) {
  if (a.type === 'b' || a.type === 'm') return { type: a.type, value: Array.from(a.value) };
  if (a.type === 'f') return { type: 'f', value: Math.fround(a.value) };
  if (a.type === '[') return { type: '[', value: a.value.map(canonArg) };
  return a;
}

/** Decoding must give a packet or an OscError, nothing else; a packet must re-encode to the same bytes. */
function decodesOrRefuses(buf, options) {
  let p;
  try {
    p = decodePacket(buf, options);
  } catch (e) {
    if (!(e instanceof OscError)) throw new Error(`threw ${e && e.name}: ${e && e.message}`, { cause: e });
    assert.equal(typeof e.code, 'string');
    assert.ok(Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= buf.length, `offset ${e.offset}`);
    return;
  }
  if (!(options && options.lenient)) assert.equal(encodePacket(p).toString('hex'), Buffer.from(buf).toString('hex'));
}

describe('codec: properties', () => {
  it('random typed packets round-trip exactly, both ways', () => {
    fc.assert(
      fc.property(packet, (p) => {
        const bytes = encodePacket(p);
        assert.equal(bytes.length % 4, 0);
        const back = decodePacket(bytes);
        assert.deepStrictEqual(canonical(back), canonical(p));
        assert.deepStrictEqual(encodePacket(back), bytes);
        // And from a view at an odd offset inside a larger buffer.
        const host = Buffer.alloc(bytes.length + 7, 0xee);
        bytes.copy(host, 3);
        assert.deepStrictEqual(canonical(decodePacket(host.subarray(3, 3 + bytes.length))), canonical(p));
      }),
      { seed: 42, numRuns: 400 },
    );
  });

  it('every truncation of every valid vector decodes or raises OscError', () => {
    for (const v of vectors.valid) {
      const full = Buffer.from(v.hex, 'hex');
      for (let n = 0; n < full.length; n++) {
        decodesOrRefuses(full.subarray(0, n));
        decodesOrRefuses(full.subarray(0, n), { lenient: true });
      }
    }
  });

  it('random byte flips of valid vectors decode or raise OscError', () => {
    const valid = vectors.valid.map((v) => Buffer.from(v.hex, 'hex'));
    fc.assert(
      fc.property(
        fc.nat(valid.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (which, flips, lenient) => {
          const buf = Buffer.from(valid[which]);
          for (const [at, value] of flips) buf[at % buf.length] = value;
          decodesOrRefuses(buf, { lenient });
        },
      ),
      { seed: 7, numRuns: 3000 },
    );
  });

  it('random bytes behind a message or bundle header decode or raise OscError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('2f610000', '2f6100002c', '2362756e646c65000000000000000001'),
        bytes(0, 40),
        (head, tail) => {
          const raw = Buffer.concat([Buffer.from(head, 'hex'), tail]);
          decodesOrRefuses(raw.subarray(0, raw.length & ~3));
          decodesOrRefuses(raw);
        },
      ),
      { seed: 11, numRuns: 2000 },
    );
  });

  it('random encoder input gives bytes or an OscError, never another error', () => {
    const anything = fc.anything({
      withBigInt: true,
      withDate: true,
      withTypedArray: true,
      withNullPrototype: true,
      maxDepth: 3,
    });
    fc.assert(
      fc.property(
        address,
        fc.array(anything, { maxLength: 4 }),
        fc.option(fc.stringMatching(/^,[ifdhsScbtrmTFNI[\]x]{0,5}$/)),
        (a, args, types) => {
          try {
            // Anything at all, on purpose: what encodePacket cannot take must be an OscError.
            decodePacket(encodePacket({ address: a, args: /** @type {any[]} */ (args), types: types ?? undefined }));
          } catch (e) {
            if (!(e instanceof OscError)) throw new Error(`threw ${e && e.name}: ${e && e.message}`, { cause: e });
          }
        },
      ),
      { seed: 3, numRuns: 1000 },
    );
  });
});
