'use strict';
// Decoding: views at any byteOffset, zero-copy blobs, strictness, lenient mode, limits, plain values.
const assert = require('node:assert/strict');
const {
  encodePacket,
  decodePacket,
  OscError,
  isOscError,
  isBundle,
  isMessage,
  plainValue,
  plainValues,
} = require('../dist/osc/codec.js');
const { asMessage, asBundle } = require('./helpers/osc');
/** @typedef {import('../dist/osc/codec').OscArg} OscArg */
/** @typedef {import('../dist/osc/codec').OscMessage} OscMessage */
/** @typedef {import('../dist/osc/codec').OscPacketInput} OscPacketInput */

const h = (s) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
function refuses(bytes, code, options, offset) {
  assert.throws(
    () => decodePacket(bytes, options),
    (/** @type {any} */ e) => {
      assert.ok(e instanceof OscError, `not an OscError: ${e && e.stack}`);
      assert.ok(isOscError(e));
      assert.equal(e.code, code, e.message);
      if (offset !== undefined) assert.equal(e.offset, offset, e.message);
      return true;
    },
  );
}

// /v ,bmri with a 5-byte blob, midi, rgba and an int.
const RICH = h('2f760000 2c626d7269000000 00000005 0102030405000000 00903c7f 11223344 ffffff85');

describe('codec: decoding', () => {
  it('decodes any Uint8Array view, at any byteOffset (osc.js misreads these)', () => {
    const big = Buffer.alloc(RICH.length + 13);
    RICH.copy(big, 13);
    const views = [
      big.subarray(13),
      new Uint8Array(big.buffer, big.byteOffset + 13, RICH.length),
      Buffer.from(RICH), // small Buffers come from Node's shared pool, at a non-zero byteOffset
      new Uint8Array(RICH),
    ];
    for (const v of views) {
      const m = asMessage(decodePacket(v));
      assert.deepEqual(Array.from(m.args[0].value), [1, 2, 3, 4, 5]);
      assert.deepEqual(Array.from(m.args[1].value), [0, 0x90, 0x3c, 0x7f]);
      assert.deepEqual(m.args[2].value, { r: 0x11, g: 0x22, b: 0x33, a: 0x44 });
      assert.equal(m.args[3].value, -123);
    }
    assert.notEqual(Buffer.from(RICH).byteOffset, 0);
  });

  it('decodes every string right however many distinct strings pass (recent ones are cached)', () => {
    /** @type {OscMessage[]} */
    const packets = [];
    for (let i = 0; i < 3000; i++) {
      const tail = (i * 7919).toString(36);
      packets.push({ address: '/ch/' + tail, args: [{ type: 's', value: 'v' + tail + 'x'.repeat(i % 50) }] });
    }
    const encoded = packets.map((p) => encodePacket(p));
    for (let round = 0; round < 3; round++) {
      encoded.forEach((bytes, i) => {
        const m = asMessage(decodePacket(bytes));
        assert.equal(m.address, packets[i].address);
        assert.equal(m.args[0].value, packets[i].args[0].value);
      });
    }
  });

  it('accepts an ArrayBuffer and other views', () => {
    const ab = new ArrayBuffer(RICH.length);
    new Uint8Array(ab).set(RICH);
    // Declared as taking a Uint8Array; these are accepted as well.
    assert.equal(asMessage(decodePacket(/** @type {any} */ (ab))).address, '/v');
    assert.equal(asMessage(decodePacket(/** @type {any} */ (new DataView(ab)))).address, '/v');
  });

  it('returns blobs and midi as views into the input (zero-copy), Buffers from a Buffer', () => {
    const input = Buffer.from(RICH);
    const m = asMessage(decodePacket(input));
    assert.ok(Buffer.isBuffer(m.args[0].value));
    assert.equal(m.args[0].value.buffer, input.buffer);
    assert.equal(m.args[0].value.byteOffset, input.byteOffset + 16);
    input[16] = 99;
    assert.equal(m.args[0].value[0], 99);
    assert.equal(m.args[1].value.byteOffset, input.byteOffset + 24);
    assert.ok(!Buffer.isBuffer(asMessage(decodePacket(new Uint8Array(RICH))).args[0].value));
  });

  it('decodes h as bigint, t as exact NTP fields, c as a character', () => {
    const m = asMessage(decodePacket(h('2f780000 2c687463 00000000 8000000000000000 ffffffff00000001 0001f600')));
    assert.deepEqual(m.args, [
      { type: 'h', value: -(2n ** 63n) },
      { type: 't', value: { seconds: 0xffffffff, fraction: 1 } },
      { type: 'c', value: '😀' },
    ]);
  });

  it('re-encodes float NaNs with their exact bits, signalling ones included (also once optimized)', () => {
    const nans = ['7f800001', 'ff800001', '7fbfffff', '7fc00000', 'ffc00001', '7fffffff'];
    for (let round = 0; round < 3000; round++) {
      for (const bits of nans) {
        const bytes = h('2f660000 2c660000' + bits);
        const m = asMessage(decodePacket(bytes));
        assert.ok(Number.isNaN(m.args[0].value));
        assert.equal(encodePacket(m).toString('hex'), bytes.toString('hex'));
      }
    }
    assert.equal(
      encodePacket({ address: '/f', args: [{ type: 'f', value: NaN }] }).readUInt32BE(8) & 0x7fc00000,
      0x7fc00000,
    );
  });

  it('refuses non-zero padding, everywhere', () => {
    refuses(h('2f610001 2c000000'), 'BAD_PADDING', undefined, 3); // address
    refuses(h('2f610000 2c000100'), 'BAD_PADDING', undefined, 6); // type tags
    refuses(h('2f610000 2c730000 61000100'), 'BAD_PADDING', undefined, 10); // string
    refuses(h('2f610000 2c620000 00000001 01000100'), 'BAD_PADDING', undefined, 14); // blob
  });

  it('refuses a c that is not a Unicode character', () => {
    refuses(h('2f610000 2c630000 0000d800'), 'BAD_STRING', undefined, 8);
    refuses(h('2f610000 2c630000 00110000'), 'BAD_STRING', undefined, 8);
  });

  it('refuses invalid UTF-8 every time, even between valid strings of the same length', () => {
    for (let i = 0; i < 5; i++) {
      assert.equal(asMessage(decodePacket(h('2f730000 2c730000 c3a90000'))).args[0].value, 'é');
      refuses(h('2f730000 2c730000 c3c30000'), 'BAD_STRING', undefined, 8);
      refuses(h('2f730000 2c730000 a9000000'), 'BAD_STRING', undefined, 8);
      assert.equal(asMessage(decodePacket(h('2fc3a900 2c000000'))).address, '/é');
    }
  });

  it('refuses invalid UTF-8 in the address and keeps a BOM', () => {
    refuses(h('2fc30000 2c000000'), 'BAD_STRING', undefined, 0);
    refuses(h('2fed a080 00000000 2c000000'), 'BAD_STRING'); // an encoded surrogate
    const bom = asMessage(decodePacket(encodePacket({ address: '/s', args: ['\uFEFFx'] })));
    assert.equal(bom.args[0].value, '\uFEFFx');
  });

  it('refuses a bundle element that holds neither message nor bundle, or a zero size', () => {
    refuses(h('2362756e646c6500 0000000000000001 00000004 61626300'), 'BAD_PACKET', undefined, 20);
    refuses(h('2362756e646c6500 0000000000000001 00000000'), 'BAD_BUNDLE_ELEMENT', undefined, 16);
    refuses(h('2362756e646c6500 0000000000000001 fffffff8 2f610000 2c000000'), 'BAD_BUNDLE_ELEMENT', undefined, 16);
  });

  it('refuses a bundle element larger than its message (trailing bytes inside the element)', () => {
    refuses(h('2362756e646c6500 0000000000000001 0000000c 2f610000 2c000000 00000000'), 'BAD_BUNDLE_ELEMENT');
  });

  it('refuses input that is not bytes', () => {
    for (const v of [undefined, null, 'abc', [47, 97, 0, 0], {}]) refuses(v, 'BAD_PACKET');
  });

  describe('lenient mode (a message without a type-tag string)', () => {
    it('is off by default', () => {
      refuses(h('2f610000'), 'MISSING_TYPE_TAGS', undefined, 4);
      refuses(h('2f610000'), 'MISSING_TYPE_TAGS', { lenient: false });
    });
    it('gives no arguments for an address alone', () => {
      assert.deepEqual(decodePacket(h('2f610000'), { lenient: true }), { address: '/a', args: [] });
    });
    it('keeps the bytes after the address as one blob', () => {
      const m = asMessage(decodePacket(h('2f610000 00000001 00000002'), { lenient: true }));
      assert.equal(m.address, '/a');
      assert.equal(m.args.length, 1);
      assert.equal(m.args[0].type, 'b');
      assert.equal(Buffer.from(m.args[0].value).toString('hex'), '0000000100000002');
    });
    it('applies inside bundles too, and still decodes normal messages', () => {
      const b = asBundle(
        decodePacket(h('2362756e646c6500 0000000000000001 00000004 2f610000 00000008 2f620000 2c000000'), {
          lenient: true,
        }),
      );
      assert.deepEqual(b.packets, [
        { address: '/a', args: [] },
        { address: '/b', args: [] },
      ]);
    });
  });

  describe('limits against hostile packets', () => {
    it('nesting depth of arrays', () => {
      const deep = encodePacket({
        address: '/a',
        types: ',' + '['.repeat(10) + ']'.repeat(10),
        args: [[[[[[[[[[[]]]]]]]]]]],
      });
      assert.equal(asMessage(decodePacket(deep, { maxDepth: 10 })).args.length, 1);
      refuses(deep, 'LIMIT_EXCEEDED', { maxDepth: 9 });
      // The default limit holds against a packet of nothing but '['.
      const tags = ',' + '['.repeat(1000);
      const bytes = Buffer.alloc(4 + Math.ceil((tags.length + 1) / 4) * 4);
      bytes.write('/a', 0);
      bytes.write(tags, 4);
      refuses(bytes, 'LIMIT_EXCEEDED');
    });
    it('nesting depth of bundles', () => {
      /** @type {OscPacketInput} */
      let p = { address: '/a', args: [] };
      for (let i = 0; i < 5; i++) p = { timetag: { seconds: 0, fraction: 1 }, packets: [p] };
      const bytes = encodePacket(p);
      assert.ok(isBundle(decodePacket(bytes, { maxDepth: 5 })));
      refuses(bytes, 'LIMIT_EXCEEDED', { maxDepth: 4 });
      /** @type {OscPacketInput} */
      let deep = { address: '/a', args: [] };
      for (let i = 0; i < 40; i++) deep = { timetag: { seconds: 0, fraction: 1 }, packets: [deep] };
      refuses(encodePacket(deep, { maxDepth: 100 }), 'LIMIT_EXCEEDED');
    });
    it('number of arguments', () => {
      const bytes = encodePacket({ address: '/a', args: new Array(100).fill(true) });
      assert.equal(asMessage(decodePacket(bytes, { maxArgs: 100 })).args.length, 100);
      refuses(bytes, 'LIMIT_EXCEEDED', { maxArgs: 99 });
    });
    it('refuses limits that are not non-negative integers, rather than silently lifting them', () => {
      const bytes = encodePacket({ address: '/a', args: [1] });
      for (const bad of /** @type {any[]} */ ([NaN, -1, 1.5, '10', Infinity, 2 ** 31])) {
        refuses(bytes, 'BAD_ARGUMENT', { maxDepth: bad });
        refuses(bytes, 'BAD_ARGUMENT', { maxArgs: bad });
        refuses(bytes, 'BAD_ARGUMENT', { maxPacketSize: bad });
        assert.throws(
          () => encodePacket({ address: '/a' }, { maxDepth: bad }),
          (e) => e instanceof OscError && e.code === 'BAD_ARGUMENT',
        );
      }
      refuses(bytes, 'LIMIT_EXCEEDED', { maxArgs: 0 });
      refuses(bytes, 'BAD_ARGUMENT', { maxDepth: 1001 });
      assert.equal(asMessage(decodePacket(bytes, { maxDepth: 1000 })).address, '/a');
    });
    it('packet size', () => {
      const bytes = encodePacket({ address: '/a', args: [Buffer.alloc(2000)] });
      assert.equal(asMessage(decodePacket(bytes, { maxPacketSize: bytes.length })).args[0].value.length, 2000);
      refuses(bytes, 'LIMIT_EXCEEDED', { maxPacketSize: bytes.length - 4 });
      refuses(Buffer.alloc(1048580, 0x2f), 'LIMIT_EXCEEDED');
    });
  });
});

describe('codec: plain values and guards', () => {
  it('plainValue maps each type as msg.payload expects', () => {
    const blob = Buffer.from([1, 2]);
    const midi = Buffer.from([0, 0x90, 60, 127]);
    /** @type {OscArg[]} */
    const args = [
      { type: 'i', value: 1 },
      { type: 'f', value: 0.5 },
      { type: 'd', value: 0.1 },
      { type: 'h', value: 5n },
      { type: 'h', value: 2n ** 60n },
      { type: 's', value: 'a' },
      { type: 'S', value: 'b' },
      { type: 'c', value: 'c' },
      { type: 'b', value: blob },
      { type: 'm', value: midi },
      { type: 't', value: { seconds: 1, fraction: 2 } },
      { type: 'r', value: { r: 1, g: 2, b: 3, a: 4 } },
      { type: 'T', value: true },
      { type: 'F', value: false },
      { type: 'N', value: null },
      { type: 'I' },
      {
        type: '[',
        value: [
          { type: 'i', value: 2 },
          { type: '[', value: [{ type: 'I' }] },
        ],
      },
    ];
    const plain = plainValues(args);
    assert.deepEqual(plain, [
      1,
      0.5,
      0.1,
      5,
      2n ** 60n,
      'a',
      'b',
      'c',
      blob,
      midi,
      { seconds: 1, fraction: 2 },
      { r: 1, g: 2, b: 3, a: 4 },
      true,
      false,
      null,
      true,
      [2, [true]],
    ]);
    assert.equal(plain[8], blob); // the same view, not a copy
    assert.equal(plainValue({ type: 'h', value: -(2n ** 53n) + 1n }), -(2 ** 53) + 1);
  });

  it('isBundle and isMessage', () => {
    const m = { address: '/a', args: [] };
    const b = { timetag: { seconds: 0, fraction: 1 }, packets: [m] };
    assert.ok(isMessage(m) && !isBundle(m));
    assert.ok(isBundle(b) && !isMessage(b));
    assert.ok(!isBundle(null) && !isMessage(null) && !isMessage(/** @type {any} */ (5)));
  });
});
