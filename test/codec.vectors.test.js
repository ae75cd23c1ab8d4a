'use strict';
// The shared conformance vectors, both directions, and the error code each malformed vector must raise.
const assert = require('node:assert/strict');
const vectors = require('./fixtures/vectors.json');
const { encodePacket, decodePacket, OscError } = require('../dist/osc/codec.js');

/** The vectors' JSON form (h as decimal strings, b/m as hex) to the codec's typed form. */
function fromJson(p) {
  if (p.packets) return { timetag: p.timetag, packets: p.packets.map(fromJson) };
  return { address: p.address, args: p.args.map(argFromJson) };
}
function argFromJson(a) {
  switch (a.type) {
    case 'h':
      return { type: 'h', value: BigInt(a.value) };
    case 'b':
    case 'm':
      return { type: a.type, value: Buffer.from(a.hex, 'hex') };
    case 'f':
      return { type: 'f', value: Math.fround(a.value) };
    case '[':
      return { type: '[', value: a.value.map(argFromJson) };
    default:
      return a;
  }
}
/** Blobs decode as views; compare them as plain byte arrays. */
function normalize(p) {
  if (p.packets) return { timetag: p.timetag, packets: p.packets.map(normalize) };
  return { address: p.address, args: p.args.map(normArg) };
}
function normArg(a) {
  if (a.type === 'b' || a.type === 'm') return { type: a.type, value: Array.from(a.value) };
  if (a.type === '[') return { type: '[', value: a.value.map(normArg) };
  return a;
}

const EXPECTED_CODES = {
  'empty packet': 'EMPTY_PACKET',
  'length not a multiple of 4': 'BAD_SIZE',
  'address without NUL': 'BAD_STRING',
  'address does not start with / or #': 'BAD_PACKET',
  'type tag string does not start with ,': 'MISSING_TYPE_TAGS',
  'int32 argument truncated': 'TRUNCATED',
  'float argument truncated': 'TRUNCATED',
  'unknown type tag': 'UNKNOWN_TYPE_TAG',
  'blob size larger than packet': 'TRUNCATED',
  'negative blob size': 'BAD_BLOB',
  'string argument without NUL': 'BAD_STRING',
  'unbalanced array open': 'BAD_ARRAY',
  'unbalanced array close': 'BAD_ARRAY',
  'bundle element size larger than rest': 'BAD_BUNDLE_ELEMENT',
  'bundle element size not a multiple of 4': 'BAD_BUNDLE_ELEMENT',
  'bundle element size smaller than its message': 'BAD_BUNDLE_ELEMENT',
  'bundle header truncated': 'TRUNCATED',
  '#-packet that is not #bundle': 'BAD_PACKET',
  'trailing bytes after the arguments': 'TRAILING_BYTES',
  'invalid UTF-8 in string': 'BAD_STRING',
};

describe('codec: conformance vectors', () => {
  describe('valid packets decode to their typed form', () => {
    for (const v of vectors.valid) {
      it(v.name, () => {
        const decoded = decodePacket(Buffer.from(v.hex, 'hex'));
        assert.deepStrictEqual(normalize(decoded), normalize(fromJson(v.packet)));
      });
    }
  });

  describe('valid packets encode to their exact bytes', () => {
    for (const v of vectors.valid) {
      it(v.name, () => {
        assert.equal(encodePacket(fromJson(v.packet)).toString('hex'), v.hex);
        // And the decoded form encodes back to the same bytes.
        assert.equal(encodePacket(decodePacket(Buffer.from(v.hex, 'hex'))).toString('hex'), v.hex);
      });
    }
  });

  describe('malformed packets raise OscError with a specific code', () => {
    it('names a code for every malformed vector', () => {
      for (const v of vectors.malformed) assert.ok(EXPECTED_CODES[v.name], `no expected code for ${v.name}`);
    });
    for (const v of vectors.malformed) {
      it(`${v.name} -> ${EXPECTED_CODES[v.name]}`, () => {
        assert.throws(
          () => decodePacket(Buffer.from(v.hex, 'hex')),
          (e) => {
            assert.ok(e instanceof OscError, `not an OscError: ${e}`);
            assert.ok(e instanceof Error);
            assert.equal(e.code, EXPECTED_CODES[v.name], e.message);
            assert.equal(typeof e.offset, 'number');
            assert.ok(e.offset >= 0 && e.offset <= v.hex.length / 2, `offset ${e.offset}`);
            return true;
          },
        );
      });
    }
  });
});
