'use strict';
// Encoding: plain-value inference, number policies, forced type tags, and every refusal.
const assert = require('node:assert/strict');
const { encodePacket, decodePacket, OscError, IMMEDIATELY, timetagFromMillis } = require('../dist/osc/codec.js');
const { asMessage, asBundle } = require('./helpers/osc');
/** @typedef {import('../dist/osc/codec').PlainArg} PlainArg */

const hex = (b) => b.toString('hex');
const tagsOf = (packet, options) => {
  const m = asMessage(decodePacket(encodePacket(packet, options)));
  return m.args
    .map(function flat(a) {
      return a.type === '[' ? '[' + a.value.map(flat).join('') + ']' : a.type;
    })
    .join('');
};
function refuses(fn, code, argIndex, re) {
  assert.throws(fn, (/** @type {any} */ e) => {
    assert.ok(e instanceof OscError, `not an OscError: ${e && e.stack}`);
    assert.equal(e.code, code, e.message);
    if (argIndex !== undefined) assert.equal(e.argIndex, argIndex, e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
}

describe('codec: encoding plain values', () => {
  it('infers tags from JS types', () => {
    const date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    const m = asMessage(
      decodePacket(
        encodePacket({
          address: '/x',
          args: [1, 2.5, 'hi', true, false, null, 10n, Buffer.from([1, 2]), date, [3, 'a']],
        }),
      ),
    );
    assert.deepEqual(
      m.args.map((a) => a.type),
      ['i', 'f', 's', 'T', 'F', 'N', 'h', 'b', 't', '['],
    );
    assert.equal(m.args[6].value, 10n);
    assert.deepEqual(m.args[8].value, timetagFromMillis(date.getTime()));
    assert.deepEqual(m.args[9].value, [
      { type: 'i', value: 3 },
      { type: 's', value: 'a' },
    ]);
  });

  it('mixes typed and plain arguments', () => {
    assert.equal(tagsOf({ address: '/x', args: [1, { type: 'd', value: 1 }, 'a', { type: 'S', value: 'b' }] }), 'idsS');
  });

  it('takes a single non-array args value as one argument, and no args as none', () => {
    assert.equal(tagsOf({ address: '/x', args: 5 }), 'i');
    assert.equal(tagsOf({ address: '/x', args: Buffer.from('ab') }), 'b');
    assert.equal(hex(encodePacket({ address: '/xremote' })), hex(Buffer.from('/xremote\0\0\0\0,\0\0\0', 'latin1')));
    assert.equal(tagsOf({ address: '/x', args: [] }), '');
    assert.equal(tagsOf({ address: '/x', args: null }), 'N');
  });

  it('writes blobs of every length, from any view, as their size, their bytes and zero padding', () => {
    const backing = Buffer.alloc(200);
    for (let i = 0; i < backing.length; i++) backing[i] = 0xa0 + (i % 91);
    const big = Buffer.alloc(4100, 0x5a);
    for (let n = 0; n <= 70; n++) {
      const src = backing.subarray(3, 3 + n);
      const pad = (4 - (n % 4)) % 4;
      const size = Buffer.alloc(4);
      size.writeUInt32BE(n);
      const want = Buffer.concat([Buffer.from('/b\0\0,b\0\0', 'latin1'), size, src, Buffer.alloc(pad)]);
      for (const [how, value] of [
        ['Buffer', src],
        ['Uint8Array at an odd offset', new Uint8Array(backing.buffer, backing.byteOffset + 3, n)],
      ]) {
        for (const args of /** @type {Array<PlainArg[] | PlainArg>} */ ([[{ type: 'b', value }], [value], value])) {
          const packet = { address: '/b', args };
          assert.equal(hex(encodePacket(packet)), hex(want), `${n} bytes, ${how}`);
          // Then in a bundle, and after a 4 KiB blob so that the next packet's memory was not just zeroed.
          encodePacket({ address: '/big', args: [big] });
          const b = asBundle(decodePacket(encodePacket({ timetag: IMMEDIATELY, packets: [packet, packet] })));
          for (const m of b.packets)
            assert.equal(hex(Buffer.from(m.args[0].value)), hex(src), `${n} bytes in a bundle`);
        }
      }
    }
  });

  it("number policy 'int' (default): int32 -> i, other integers -> h (or d beyond int64), fractions -> f", () => {
    const args = [0, -1, 2147483647, -2147483648, 2147483648, -2147483649, 2 ** 53, 1e300, 0.5, NaN, Infinity];
    assert.equal(tagsOf({ address: '/n', args }), 'iiiihhhdfff');
    assert.equal(tagsOf({ address: '/n', args }, { numbers: 'int' }), 'iiiihhhdfff');
    const m = asMessage(decodePacket(encodePacket({ address: '/n', args: [2 ** 40] })));
    assert.equal(m.args[0].value, 2n ** 40n);
  });

  it("number policy 'float' and 'double'", () => {
    assert.equal(tagsOf({ address: '/n', args: [1, 0.5, [2]] }, { numbers: 'float' }), 'ff[f]');
    assert.equal(tagsOf({ address: '/n', args: [1, 0.5] }, { numbers: 'double' }), 'dd');
    assert.equal(
      asMessage(decodePacket(encodePacket({ address: '/n', args: [0.1] }, { numbers: 'double' }))).args[0].value,
      0.1,
    );
    // Typed arguments are never re-typed by the policy.
    assert.equal(tagsOf({ address: '/n', args: [{ type: 'i', value: 1 }] }, { numbers: 'double' }), 'i');
    refuses(() => encodePacket({ address: '/n', args: [1e39] }, { numbers: 'float' }), 'BAD_ARGUMENT', 0, /float32/);
    refuses(
      () => encodePacket({ address: '/n', args: [1] }, { numbers: /** @type {any} */ ('fixed') }),
      'BAD_ARGUMENT',
    );
  });

  it('keeps S distinct from s, and I distinct from true, 1 and "bang"', () => {
    const m = asMessage(
      decodePacket(
        encodePacket({ address: '/x', args: [{ type: 'S', value: 'sym' }, { type: 'I' }, true, 1, 'bang'] }),
      ),
    );
    assert.deepEqual(m.args, [
      { type: 'S', value: 'sym' },
      { type: 'I' },
      { type: 'T', value: true },
      { type: 'i', value: 1 },
      { type: 's', value: 'bang' },
    ]);
  });

  it('encodes bundles with a Timetag, a Date or epoch ms, nested', () => {
    const inner = { address: '/b', args: ['x'] };
    const ms = Date.UTC(2030, 5, 1, 12, 0, 0, 250);
    for (const timetag of [timetagFromMillis(ms), new Date(ms), ms]) {
      const b = asBundle(
        decodePacket(
          encodePacket({
            timetag,
            packets: [
              { address: '/a', args: [1] },
              { timetag: IMMEDIATELY, packets: [inner] },
            ],
          }),
        ),
      );
      assert.deepEqual(b.timetag, timetagFromMillis(ms));
      assert.deepEqual(b.packets[1], {
        timetag: { seconds: 0, fraction: 1 },
        packets: [{ address: '/b', args: [{ type: 's', value: 'x' }] }],
      });
    }
    refuses(() => encodePacket({ timetag: { seconds: -1, fraction: 0 }, packets: [] }), 'BAD_TIMETAG');
    refuses(() => encodePacket({ timetag: new Date(NaN), packets: [] }), 'BAD_TIMETAG');
  });

  it('writes UTF-8 strings and long ASCII strings exactly', () => {
    const long = 'x'.repeat(1000);
    for (const s of ['é', '一€', '😀', long, long + 'é', '\uFEFFbom']) {
      const bytes = encodePacket({ address: '/s', args: [s] });
      assert.equal(bytes.length % 4, 0);
      assert.equal(asMessage(decodePacket(bytes)).args[0].value, s);
      assert.equal(bytes.subarray(8, 8 + Buffer.byteLength(s)).toString('utf8'), s);
    }
    assert.equal(asMessage(decodePacket(encodePacket({ address: '/ünï/€', args: [] }))).address, '/ünï/€');
  });

  it('gets every string length right whatever came before (ASCII is assumed, then checked)', () => {
    const strings = ['a', 'é', 'x'.repeat(63), 'x'.repeat(62) + 'é', 'x'.repeat(64), 'x'.repeat(63) + '€', '😀', ''];
    // Interleave ASCII and non-ASCII packets, many times over, so both ways of measuring are exercised.
    for (let round = 0; round < 80; round++) {
      for (const s of strings) {
        /** @type {PlainArg[]} */
        const args = [s, { type: 'S', value: s }, { type: 's', value: s }, { type: 'f', value: round }];
        const bytes = encodePacket({ address: round % 2 ? '/é/' + round : '/a/' + round, args });
        const m = asMessage(decodePacket(bytes));
        assert.deepEqual(
          m.args.map((a) => a.value),
          [s, s, s, round],
        );
      }
      refuses(() => encodePacket({ address: '/x', args: ['ok', 'a\0'] }), 'BAD_ARGUMENT', 1, /NUL/);
      refuses(
        () =>
          encodePacket({
            address: '/x',
            args: [
              { type: 's', value: 'ok' },
              { type: 's', value: 'a\0' },
            ],
          }),
        'BAD_ARGUMENT',
        1,
        /NUL/,
      );
      refuses(
        () => encodePacket({ address: '/x', args: [{ type: 's', value: '\uD800' }] }),
        'BAD_ARGUMENT',
        0,
        /surrogate/,
      );
      refuses(
        () =>
          encodePacket({
            address: '/x',
            args: [
              { type: 'f', value: 1 },
              { type: 'f', value: 1e39 },
            ],
          }),
        'BAD_ARGUMENT',
        1,
      );
      refuses(
        () =>
          encodePacket({
            address: '/x',
            args: [
              { type: 'i', value: 1 },
              { type: 'i', value: 0.5 },
            ],
          }),
        'BAD_ARGUMENT',
        1,
      );
    }
  });

  it('encodes every typed tag to the expected bytes', () => {
    const b = encodePacket({
      address: '/t',
      args: [
        { type: 'c', value: '😀' },
        { type: 'r', value: { r: 255, g: 0, b: 1, a: 128 } },
        // Declared as a Uint8Array; an array of four numbers is accepted as well.
        { type: 'm', value: /** @type {any} */ ([1, 0x90, 60, 127]) },
        { type: 't', value: { seconds: 0xffffffff, fraction: 0x80000000 } },
        { type: 'h', value: -2n },
        { type: 'd', value: -0 },
      ],
    });
    assert.equal(
      hex(b),
      '2f740000' +
        '2c63726d74686400' +
        '0001f600' +
        'ff000180' +
        '01903c7f' +
        'ffffffff80000000' +
        'fffffffffffffffe' +
        '8000000000000000',
    );
  });
});

describe('codec: forced type tags', () => {
  it('forces numbers to h, d, f, i and strings to S or c', () => {
    const m = asMessage(
      decodePacket(encodePacket({ address: '/x', types: ',hdfiSc', args: [5, 1, 0.5, 3, 'sym', 'A'] })),
    );
    assert.deepEqual(m.args, [
      { type: 'h', value: 5n },
      { type: 'd', value: 1 },
      { type: 'f', value: 0.5 },
      { type: 'i', value: 3 },
      { type: 'S', value: 'sym' },
      { type: 'c', value: 'A' },
    ]);
    // The leading comma is optional.
    assert.equal(tagsOf({ address: '/x', types: 'd', args: [1] }), 'd');
  });

  it('accepts a bigint for i within int32, and t from Date, ms or a Timetag', () => {
    assert.deepEqual(asMessage(decodePacket(encodePacket({ address: '/x', types: ',i', args: [7n] }))).args, [
      { type: 'i', value: 7 },
    ]);
    const tt = { seconds: 3908988800, fraction: 2147483648 };
    for (const v of /** @type {PlainArg[]} */ ([tt, 1700000000500, new Date(1700000000500)])) {
      assert.deepEqual(
        asMessage(decodePacket(encodePacket({ address: '/x', types: ',t', args: [v] }))).args[0].value,
        tt,
      );
    }
  });

  it('T F N I take no argument when there are as many arguments as data tags', () => {
    const m = asMessage(decodePacket(encodePacket({ address: '/x', types: ',iTFNIf', args: [1, 2.5] })));
    assert.deepEqual(m.args.map((a) => a.type).join(''), 'iTFNIf');
    assert.deepEqual(asMessage(decodePacket(encodePacket({ address: '/x', types: ',N' }))).args, [
      { type: 'N', value: null },
    ]);
  });

  it('T F N I take and check one argument each when there are as many arguments as tags', () => {
    const m = asMessage(
      decodePacket(encodePacket({ address: '/x', types: ',iTFNI', args: [1, true, false, null, null] })),
    );
    assert.deepEqual(m.args.map((a) => a.type).join(''), 'iTFNI');
    refuses(() => encodePacket({ address: '/x', types: ',iT', args: [1, false] }), 'BAD_TYPE_TAGS', 1);
    refuses(() => encodePacket({ address: '/x', types: ',N', args: [0] }), 'BAD_TYPE_TAGS', 0);
  });

  it('forces tags inside arrays, with the same rule per level', () => {
    const m = asMessage(decodePacket(encodePacket({ address: '/x', types: ',i[fT[h]]', args: [1, [2, [3]]] })));
    assert.deepEqual(m.args, [
      { type: 'i', value: 1 },
      {
        type: '[',
        value: [
          { type: 'f', value: 2 },
          { type: 'T', value: true },
          { type: '[', value: [{ type: 'h', value: 3n }] },
        ],
      },
    ]);
  });

  it('checks typed arguments against the forced tags', () => {
    assert.equal(tagsOf({ address: '/x', types: ',if', args: [{ type: 'i', value: 1 }, 2] }), 'if');
    refuses(
      () => encodePacket({ address: '/x', types: ',if', args: [{ type: 'f', value: 1 }, 2] }),
      'BAD_TYPE_TAGS',
      0,
      /typed 'f'/,
    );
  });

  it('refuses type-tag strings that do not fit', () => {
    refuses(
      () => encodePacket({ address: '/x', types: ',ix', args: [1, 2] }),
      'BAD_TYPE_TAGS',
      undefined,
      /unknown type tag/,
    );
    refuses(() => encodePacket({ address: '/x', types: ',ii', args: [1] }), 'BAD_TYPE_TAGS', undefined, /2 tag/);
    refuses(() => encodePacket({ address: '/x', types: ',i', args: [1, 2] }), 'BAD_TYPE_TAGS');
    refuses(
      () => encodePacket({ address: '/x', types: ',[i', args: [[1]] }),
      'BAD_TYPE_TAGS',
      undefined,
      /never closed/,
    );
    refuses(() => encodePacket({ address: '/x', types: ',i]', args: [1] }), 'BAD_TYPE_TAGS');
    refuses(() => encodePacket({ address: '/x', types: ',is', args: [1, 2] }), 'BAD_TYPE_TAGS', 1, /'s'/);
    refuses(() => encodePacket({ address: '/x', types: ',[i]', args: [1] }), 'BAD_TYPE_TAGS', 0, /array/);
    refuses(() => encodePacket({ address: '/x', types: /** @type {any} */ (5), args: [1] }), 'BAD_TYPE_TAGS');
    refuses(() => encodePacket({ address: '/x', types: ',i', args: ['1'] }), 'BAD_TYPE_TAGS', 0);
  });
});

describe('codec: encoding refusals', () => {
  /** @type {any[][]} Malformed on purpose. */
  const cases = [
    ['address without a leading /', { address: 'x', args: [] }, 'BAD_ADDRESS'],
    ['empty address', { address: '', args: [] }, 'BAD_ADDRESS'],
    ['address not a string', { address: 5, args: [] }, 'BAD_ADDRESS'],
    ['NUL in the address', { address: '/a\0b', args: [] }, 'BAD_ADDRESS'],
    ['lone surrogate in the address', { address: '/a\uD800', args: [] }, 'BAD_ADDRESS'],
    ['i above int32', { address: '/x', args: [0, { type: 'i', value: 2147483648 }] }, 'BAD_ARGUMENT', 1, /int32/],
    ['i below int32', { address: '/x', args: [{ type: 'i', value: -2147483649 }] }, 'BAD_ARGUMENT', 0, /int32/],
    ['i not integral', { address: '/x', args: [{ type: 'i', value: 1.5 }] }, 'BAD_ARGUMENT', 0, /not an integer/],
    ['i NaN', { address: '/x', args: [{ type: 'i', value: NaN }] }, 'BAD_ARGUMENT', 0],
    ['i a string', { address: '/x', args: [{ type: 'i', value: '1' }] }, 'BAD_ARGUMENT', 0],
    ['h not integral', { address: '/x', args: [{ type: 'h', value: 1.5 }] }, 'BAD_ARGUMENT', 0],
    ['h above int64', { address: '/x', args: [{ type: 'h', value: 2n ** 63n }] }, 'BAD_ARGUMENT', 0, /int64/],
    ['bigint below int64', { address: '/x', args: [-(2n ** 63n) - 1n] }, 'BAD_ARGUMENT', 0],
    ['f beyond float32', { address: '/x', args: [{ type: 'f', value: 1e39 }] }, 'BAD_ARGUMENT', 0],
    ['d not a number', { address: '/x', args: [{ type: 'd', value: null }] }, 'BAD_ARGUMENT', 0],
    ['NUL in a string', { address: '/x', args: [1, 'a\0b'] }, 'BAD_ARGUMENT', 1, /NUL/],
    ['lone surrogate in a string', { address: '/x', args: ['\uDC00'] }, 'BAD_ARGUMENT', 0, /surrogate/],
    ['s not a string', { address: '/x', args: [{ type: 's', value: 1 }] }, 'BAD_ARGUMENT', 0],
    ['c of two characters', { address: '/x', args: [{ type: 'c', value: 'ab' }] }, 'BAD_ARGUMENT', 0, /one character/],
    ['c empty', { address: '/x', args: [{ type: 'c', value: '' }] }, 'BAD_ARGUMENT', 0],
    ['c lone surrogate', { address: '/x', args: [{ type: 'c', value: '\uD800' }] }, 'BAD_ARGUMENT', 0],
    [
      'm of 3 bytes',
      { address: '/x', args: [{ type: 'm', value: Buffer.from([1, 2, 3]) }] },
      'BAD_ARGUMENT',
      0,
      /4 bytes/,
    ],
    ['m with a component over 255', { address: '/x', args: [{ type: 'm', value: [0, 256, 0, 0] }] }, 'BAD_ARGUMENT', 0],
    ['r missing a component', { address: '/x', args: [{ type: 'r', value: { r: 1, g: 2, b: 3 } }] }, 'BAD_ARGUMENT', 0],
    [
      'r component out of range',
      { address: '/x', args: [{ type: 'r', value: { r: 1, g: 2, b: 3, a: -1 } }] },
      'BAD_ARGUMENT',
      0,
    ],
    [
      'r component fractional',
      { address: '/x', args: [{ type: 'r', value: { r: 1.5, g: 2, b: 3, a: 4 } }] },
      'BAD_ARGUMENT',
      0,
    ],
    ['b not bytes', { address: '/x', args: [{ type: 'b', value: 'abc' }] }, 'BAD_ARGUMENT', 0],
    [
      't not a timetag',
      { address: '/x', args: [{ type: 't', value: { seconds: 1.5, fraction: 0 } }] },
      'BAD_ARGUMENT',
      0,
    ],
    ['T with false', { address: '/x', args: [{ type: 'T', value: false }] }, 'BAD_ARGUMENT', 0],
    ['I with a value', { address: '/x', args: [{ type: 'I', value: 1 }] }, 'BAD_ARGUMENT', 0],
    ['unknown typed tag', { address: '/x', args: [{ type: 'x', value: 1 }] }, 'BAD_ARGUMENT', 0, /unknown type tag/],
    ['[ without an array', { address: '/x', args: [{ type: '[', value: 1 }] }, 'BAD_ARGUMENT', 0],
    ['undefined', { address: '/x', args: [1, undefined] }, 'BAD_ARGUMENT', 1],
    ['a function', { address: '/x', args: [() => 1] }, 'BAD_ARGUMENT', 0],
    ['an untyped object', { address: '/x', args: [{ r: 1, g: 2, b: 3, a: 4 }] }, 'BAD_ARGUMENT', 0, /type, value/],
    [
      'a bad value inside an array',
      { address: '/x', args: [1, [2, [3, 'a\0']]] },
      'BAD_ARGUMENT',
      1,
      /argument 1\[1\]\[1\]/,
    ],
  ];
  for (const [name, packet, code, argIndex, re] of cases) {
    it(`${name} -> ${code}`, () => refuses(() => encodePacket(packet), code, argIndex, re));
  }

  it('refuses packets that are neither message nor bundle', () => {
    for (const p of /** @type {any[]} */ ([null, 5, 'abc', {}, { timetag: IMMEDIATELY }]))
      refuses(() => encodePacket(p), 'BAD_PACKET');
  });

  it('refuses a cyclic array or bundle with LIMIT_EXCEEDED, never a stack overflow', () => {
    /** @type {any[]} */
    const a = [1];
    a.push(a);
    refuses(() => encodePacket({ address: '/x', args: [a] }), 'LIMIT_EXCEEDED', 0);
    const b = { timetag: IMMEDIATELY, packets: [] };
    b.packets.push(b);
    refuses(() => encodePacket(b), 'LIMIT_EXCEEDED');
    refuses(() => encodePacket({ address: '/x', args: [[[1]]] }, { maxDepth: 1 }), 'LIMIT_EXCEEDED');
  });

  it('encodes large packets (many arguments, many bundle elements), and small ones after them', () => {
    const args = [];
    for (let i = 0; i < 20000; i++) args.push(i % 3 === 0 ? i : i % 3 === 1 ? 's' + i : [i, true]);
    const m = asMessage(decodePacket(encodePacket({ address: '/big', args })));
    assert.equal(m.args.length, 20000);
    assert.deepEqual(m.args[19997], {
      type: '[',
      value: [
        { type: 'i', value: 19997 },
        { type: 'T', value: true },
      ],
    });
    assert.deepEqual(m.args[19999], { type: 's', value: 's19999' });
    const packets = [];
    for (let i = 0; i < 3000; i++) packets.push({ address: '/p/' + i, args: [i] });
    const b = asBundle(decodePacket(encodePacket({ timetag: IMMEDIATELY, packets })));
    assert.equal(b.packets.length, 3000);
    assert.deepEqual(b.packets[2999], { address: '/p/2999', args: [{ type: 'i', value: 2999 }] });
    assert.equal(hex(encodePacket({ address: '/a', args: [1] })), '2f6100002c69000000000001');
  });

  it('still encodes correctly after a refusal mid-packet', () => {
    assert.throws(() => encodePacket({ address: '/x', args: [1, 'a', Buffer.alloc(3), { type: 'i', value: 0.5 }] }));
    assert.equal(hex(encodePacket({ address: '/a', args: [1] })), '2f6100002c69000000000001');
  });
});
