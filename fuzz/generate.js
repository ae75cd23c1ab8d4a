'use strict';
// Generation side of the fuzzer: well-formed inputs that reach deep paths (every type tag, nested arrays and
// bundles, strings in every Unicode plane) built with fast-check, plus constructed address-pattern cases whose
// answer is known in advance (an oracle, so the fuzzer finds wrong answers, not only crashes).
const fc = require('fast-check');

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.+$^|()~@!:;<>=%&\'"`\\';

const addressArb = fc
  .array(fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 12 }), {
    minLength: 1,
    maxLength: 6,
  })
  .map((parts) => '/' + parts.join('/'));

const textArb = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }), // astral planes, long UTF-8 sequences
  fc.string({ unit: 'grapheme', maxLength: 10 }),
);
const noNul = (s) => s.replace(/\0/g, '');

const scalarArgArb = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((value) => ({ type: 'i', value })),
  fc.float().map((value) => ({ type: 'f', value })),
  fc.double().map((value) => ({ type: 'd', value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type: 'h', value })),
  textArb.map((value) => ({ type: 's', value: noNul(value) })),
  textArb.map((value) => ({ type: 'S', value: noNul(value) })),
  fc
    .integer({ min: 1, max: 0x10ffff })
    .filter((c) => c < 0xd800 || c > 0xdfff)
    .map((c) => ({ type: 'c', value: String.fromCodePoint(c) })),
  fc.uint8Array({ maxLength: 64 }).map((value) => ({ type: 'b', value })),
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((value) => ({ type: 'm', value })),
  fc.record({ r: fc.nat(255), g: fc.nat(255), b: fc.nat(255), a: fc.nat(255) }).map((value) => ({ type: 'r', value })),
  fc.record({ seconds: fc.nat(0xffffffff), fraction: fc.nat(0xffffffff) }).map((value) => ({ type: 't', value })),
  fc.constantFrom({ type: 'T', value: true }, { type: 'F', value: false }, { type: 'N', value: null }, { type: 'I' }),
);

const { packet: packetArb } = fc.letrec((tie) => ({
  arg: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarArgArb,
    fc.array(tie('arg'), { maxLength: 4 }).map((value) => ({ type: '[', value })),
  ),
  message: fc.record({ address: addressArb, args: fc.array(tie('arg'), { maxLength: 8 }) }),
  bundle: fc.record({
    timetag: fc.oneof(
      fc.constant({ seconds: 0, fraction: 1 }),
      fc.record({ seconds: fc.nat(0xffffffff), fraction: fc.nat(0xffffffff) }),
    ),
    packets: fc.array(tie('packet'), { maxLength: 4 }),
  }),
  packet: fc.oneof({ depthSize: 'small' }, tie('message'), tie('message'), tie('bundle')),
}));

/**
 * A batch of encoded valid packets. Packets the encoder refuses (it may, for example a child bundle timetag
 * earlier than its parent's) are simply left out: the encoder is not under test here.
 */
function validPackets(codec, seed, count) {
  const out = [];
  for (const p of fc.sample(packetArb, { seed, numRuns: count })) {
    try {
      out.push(codec.encodePacket(p));
    } catch (e) {
      if (!codec.isOscError(e)) throw e;
    }
  }
  return out;
}

// ---- address patterns with a known answer ----

const LIT = 'abcxyz019_.+$^|()-';
const CLASS_RUNS = ['abcdef', 'xyz', '0123456789']; // ranges stay inside one run, so never reversed

function randomLiteral(rng, min, max) {
  let s = '';
  const n = min + rng.int(max - min + 1);
  for (let i = 0; i < n; i++) s += LIT[rng.int(LIT.length)];
  return s;
}

/** One pattern part plus an address part it matches. */
function constructPart(rng) {
  let pat = '';
  let addr = '';
  const tokens = 1 + rng.int(5);
  for (let t = 0; t < tokens; t++) {
    switch (rng.int(7)) {
      case 0: {
        pat += '?';
        addr += rng.chance(0.2) ? String.fromCodePoint(0x1f3b9) : LIT[rng.int(LIT.length)]; // '?' is one code point
        break;
      }
      case 1: {
        pat += '*';
        addr += randomLiteral(rng, 0, 4);
        break;
      }
      case 2: {
        // [abc] [a-f] [!a-c], sometimes with a literal '-' at the end
        const run = CLASS_RUNS[rng.int(CLASS_RUNS.length)];
        const lo = rng.int(run.length - 2);
        const from = run[lo];
        const to = run[lo + 2];
        const negate = rng.chance(0.3);
        const dashLast = rng.chance(0.2);
        pat += `[${negate ? '!' : ''}${from}-${to}${dashLast ? '-' : ''}]`;
        if (negate) {
          const outside = 'ghijklm_.'.split('').filter((c) => c < from || c > to);
          addr += outside[rng.int(outside.length)];
        } else if (dashLast && rng.chance(0.3)) {
          addr += '-';
        } else {
          addr += String.fromCharCode(from.charCodeAt(0) + rng.int(3));
        }
        break;
      }
      case 3: {
        const alts = Array.from({ length: 1 + rng.int(4) }, () => randomLiteral(rng, rng.chance(0.1) ? 0 : 1, 5));
        pat += `{${alts.join(',')}}`;
        addr += alts[rng.int(alts.length)];
        break;
      }
      default: {
        const lit = randomLiteral(rng, 1, 4);
        pat += lit;
        addr += lit;
      }
    }
  }
  if (pat === '*' && addr === '') addr = 'x'; // keep address parts non-empty, as real addresses are
  return { pat, addr };
}

/**
 * [pattern, address, 'y'] where the address was built to match, or [pattern, address + '/extra', 'n'] for a
 * pattern without '//' (which must match exactly as many parts as it has).
 */
function constructPatternCase(rng) {
  const parts = 1 + rng.int(4);
  let pattern = '';
  let address = '';
  let gaps = false;
  for (let i = 0; i < parts; i++) {
    if (rng.chance(0.2)) {
      gaps = true;
      pattern += '/';
      const skipped = rng.int(3);
      for (let k = 0; k < skipped; k++) address += '/' + randomLiteral(rng, 1, 3);
    }
    const { pat, addr } = constructPart(rng);
    pattern += '/' + pat;
    address += '/' + addr;
  }
  if (!gaps && rng.chance(0.25)) return [pattern, address + '/' + randomLiteral(rng, 1, 3), 'n'];
  return [pattern, address, 'y'];
}

const PATTERN_SEEDS = [
  ['/a/b', '/a/b'],
  ['/*', '/anything'],
  ['//*', '/a/b/c'],
  ['/a//b', '/a/x/y/b'],
  ['/a//b', '/ab/b'],
  ['/[!a-z]', '/A'],
  ['/[a-]', '/-'],
  ['/{foo,bar}/*', '/bar/x'],
  ['/{,s}', '/'],
  ['/{}', '/'],
  ['/*a*a*a*a*a*a*a*a*a*b', '/' + 'a'.repeat(200)],
  ['/' + '*'.repeat(50) + 'x', '/' + 'y'.repeat(300)],
  ['/?', '/\u{1f3b9}'],
  ['/[\u{1f3b9}-\u{1f3bb}]', '/\u{1f3ba}'],
  ['/a//', '/a/b'],
  ['///', '/'],
  ['/[z-a]', '/b'],
  ['/[', '/['],
  ['/{a', '/a'],
  ['/a b', '/a b'],
  ['/\ud800', '/\ud800'],
  ['/' + '{a,b}'.repeat(40), '/' + 'a'.repeat(40)],
  [`/${'//a'.repeat(20)}`, '/a'.repeat(40)],
];

module.exports = { packetArb, validPackets, constructPatternCase, PATTERN_SEEDS };
