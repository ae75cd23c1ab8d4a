'use strict';
// A small deterministic byte mutator in the spirit of libFuzzer's: structure-aware enough to get past an OSC
// decoder's first checks (sizes are int32 words, strings are NUL-padded to 4, type tags are ASCII letters), so
// mutants reach deep paths instead of dying at "not a multiple of 4".

/** mulberry32: tiny, fast, and the same stream for the same seed on every machine. */
function createRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
  };
}

const INTERESTING_BYTES = [
  0x00, 0x01, 0x7f, 0x80, 0xff, 0x2f /* / */, 0x23 /* # */, 0x2c /* , */, 0x5b /* [ */, 0x5d /* ] */,
  0xc0 /* SLIP END */, 0xdb /* SLIP ESC */, 0xdc, 0xdd, 0xed /* UTF-8 surrogate lead */, 0xf4, 0xf8,
];
const INTERESTING_INT32 = [
  0, 1, 2, 3, 4, 5, 8, 12, 16, -1, -4, -8, 0x7fffffff, -0x80000000, 0x7ffffffc, 0x10000, 0xffff, 0x100000, 0x3fffffff,
];
const TYPE_TAGS = 'ifsbhtdScrmTFNI[]';
const TOKENS = [
  '#bundle\0',
  ',\0\0\0',
  ',i\0\0',
  ',s\0\0',
  ',b\0\0',
  ',[[[',
  ',]]]',
  '/a\0\0',
  '//',
  '\0\0\0\0',
  '\xc0',
  '\xdb\xdc',
  '\xdb\xdd',
  '\xdb\x00',
].map((s) => Buffer.from(s, 'latin1'));

/** One random edit of `input` (never modified), using `other` (another corpus entry) for splicing. */
function mutateOnce(rng, input, other) {
  const b = Buffer.from(input);
  const len = b.length;
  switch (rng.int(14)) {
    case 0: // flip a bit
      if (len) b[rng.int(len)] ^= 1 << rng.int(8);
      return b;
    case 1: // set an interesting byte
      if (len) b[rng.int(len)] = rng.pick(INTERESTING_BYTES);
      return b;
    case 2: // a random byte
      if (len) b[rng.int(len)] = rng.int(256);
      return b;
    case 3: {
      // an aligned int32 field (sizes, counts, timetag words) set to a boundary value
      if (len < 4) return b;
      const at = rng.int(len >> 2) << 2;
      const v = rng.chance(0.3) ? b.readInt32BE(at) + rng.pick([-4, -1, 1, 4, 8]) : rng.pick(INTERESTING_INT32);
      b.writeInt32BE(v | 0, at);
      return b;
    }
    case 4: // a type tag replaced by another (the decoder then misreads or refuses what follows)
      for (let tries = 0; tries < 8 && len; tries++) {
        const at = rng.int(len);
        if (TYPE_TAGS.includes(String.fromCharCode(b[at]))) {
          b[at] = TYPE_TAGS.charCodeAt(rng.int(TYPE_TAGS.length));
          return b;
        }
      }
      if (len) b[rng.int(len)] = TYPE_TAGS.charCodeAt(rng.int(TYPE_TAGS.length));
      return b;
    case 5: // truncate (aligned or not)
      return b.subarray(0, rng.chance(0.5) ? (rng.int(len + 1) >> 2) << 2 : rng.int(len + 1));
    case 6: {
      // delete a range
      if (!len) return b;
      const at = rng.int(len);
      const n = 1 + rng.int(Math.min(16, len - at));
      return Buffer.concat([b.subarray(0, at), b.subarray(at + n)]);
    }
    case 7: {
      // insert random or zero bytes (a multiple of 4 keeps alignment half the time)
      const n = rng.chance(0.5) ? 4 * (1 + rng.int(4)) : 1 + rng.int(8);
      const ins = Buffer.alloc(n, rng.chance(0.5) ? 0 : rng.int(256));
      const at = rng.int(len + 1);
      return Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
    }
    case 8: {
      // duplicate a range (repeated args, nested elements)
      if (!len) return b;
      const at = rng.int(len);
      const n = 1 + rng.int(Math.min(64, len - at));
      const to = rng.int(len + 1);
      return Buffer.concat([b.subarray(0, to), b.subarray(at, at + n), b.subarray(to)]);
    }
    case 9: {
      // insert a structural token
      const at = rng.chance(0.5) ? (rng.int(len + 1) >> 2) << 2 : rng.int(len + 1);
      return Buffer.concat([b.subarray(0, at), rng.pick(TOKENS), b.subarray(at)]);
    }
    case 10: {
      // splice with another input
      if (!other || !other.length) return b;
      const cut = rng.int(len + 1);
      const from = rng.int(other.length);
      return Buffer.concat([b.subarray(0, cut), other.subarray(from)]);
    }
    case 11: {
      // wrap into a bundle element, or nest one level deeper
      const el = Buffer.alloc(4);
      el.writeInt32BE(rng.chance(0.8) ? len : rng.pick(INTERESTING_INT32), 0);
      const head = Buffer.from('#bundle\0\0\0\0\0\0\0\0\x01', 'latin1');
      return Buffer.concat([head, el, b]);
    }
    case 12: {
      // make it large (oversized packets, long strings, many args)
      if (!len) return Buffer.alloc(4 * (1 + rng.int(1024)), 0x41);
      const times = 2 + rng.int(rng.chance(0.1) ? 2000 : 16);
      const at = rng.int(len);
      const piece = b.subarray(at, at + 1 + rng.int(Math.min(32, len - at)));
      const parts = [b.subarray(0, at)];
      for (let i = 0; i < times; i++) parts.push(piece);
      parts.push(b.subarray(at));
      return Buffer.concat(parts);
    }
    default: {
      // swap two aligned words
      if (len < 8) return b;
      const i = rng.int(len >> 2) << 2;
      const j = rng.int(len >> 2) << 2;
      const t = b.readUInt32BE(i);
      b.writeUInt32BE(b.readUInt32BE(j), i);
      b.writeUInt32BE(t, j);
      return b;
    }
  }
}

/** A few stacked edits, as libFuzzer does: single edits rarely get past two checks at once. */
function mutate(rng, input, other, maxLen = 1 << 20) {
  let b = input;
  const n = 1 + rng.int(rng.chance(0.8) ? 3 : 8);
  for (let i = 0; i < n; i++) {
    b = mutateOnce(rng, b, other);
    if (b.length > maxLen) b = b.subarray(0, maxLen);
  }
  return b;
}

function randomBytes(rng, maxLen) {
  const n = rng.int(maxLen + 1);
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

module.exports = { createRng, mutate, mutateOnce, randomBytes };
