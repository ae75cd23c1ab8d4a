'use strict';
const assert = require('node:assert/strict');
const fc = require('fast-check');
const {
  matchAddress,
  compilePattern,
  isPattern,
  validateAddress,
  patternCacheSize,
  patternCacheLimit,
  clearPatternCache,
} = require('../dist/osc/pattern');

// [pattern, addresses that match, addresses that do not]
/** @type {Array<[string, string[], string[]]>} */
const TABLE = [
  ['/hello/world', ['/hello/world'], ['/hello/world/', '/hello', '/hello/worl', '/Hello/world', 'hello/world', '']],
  ['/hello/*', ['/hello/world', '/hello/sarah', '/hello/'], ['/hello', '/hello/a/b', '/hellox/a']],
  ['/a/*', ['/a/b'], ['/a/b/c']], // '*' never crosses '/'
  ['/*', ['/a', '/'], ['/a/b']],
  ['/a*b', ['/ab', '/axxb', '/abab'], ['/a/b', '/abc', '/ba']],
  ['/*a*a*b', ['/aab', '/xaxaxb'], ['/aaa', '/ab']],
  ['/a?c', ['/abc', '/a.c', '/a\u00e9c'], ['/ac', '/abbc', '/a/c']],
  ['/??', ['/ab', '/\u{1f600}x'], ['/a', '/abc']], // '?' counts code points
  ['/[abc]', ['/a', '/b', '/c'], ['/d', '/ab', '/']],
  ['/[a-c]x', ['/ax', '/bx', '/cx'], ['/dx', '/-x', '/x']],
  ['/[!a-c]x', ['/dx', '/-x', '/Ax'], ['/ax', '/cx', '/x']],
  ['/[-a]', ['/-', '/a'], ['/b']], // '-' first is literal
  ['/[a-]', ['/-', '/a'], ['/b']], // '-' last is literal
  ['/[!-]', ['/a'], ['/-']],
  ['/[!a]', ['/b'], ['/a']],
  ['/[0-9][0-9]', ['/07', '/99'], ['/7', '/a1', '/100']],
  ['/[\u00e0-\u00ff]', ['/\u00e9'], ['/e', '/\u0100']],
  ['/[!\u00e0-\u00ff]', ['/e', '/\u0100'], ['/\u00e9']],
  ['/{foo,bar}', ['/foo', '/bar'], ['/fo', '/foobar', '/baz', '/']],
  ['/file{,s}', ['/file', '/files'], ['/filess', '/fil']],
  ['/x{}y', ['/xy'], ['/x y', '/xzy']],
  ['/{a,ab}c', ['/ac', '/abc'], ['/abbc', '/c']],
  ['/*{a,ab}c', ['/zac', '/zabc', '/abc', '/ac'], ['/zab', '/zbc']],
  ['/{a,b}*{c,d}?', ['/acx', '/bzzzdy'], ['/ac', '/cax']],
  // every other character is literal, including regex metacharacters
  ['/a+b', ['/a+b'], ['/aab', '/ab']],
  ['/a.b', ['/a.b'], ['/axb']],
  ['/$^|()\\', ['/$^|()\\'], ['/', '/$']],
  ['/a(b|c)', ['/a(b|c)'], ['/ab', '/ac']],
  ['/\u00e9t\u00e9', ['/\u00e9t\u00e9'], ['/ete']],
  // OSC 1.1 '//'
  ['/a//b', ['/a/b', '/a/x/b', '/a/x/y/b', '/a/b/b'], ['/ab/b', '/a/xb', '/a/b/c', '/b', '/x/a/b']],
  ['//*', ['/a', '/a/b', '/a/b/c/d', '/'], ['', 'a']],
  ['//b', ['/b', '/x/y/b', '/b/b'], ['/ab', '/b/c', '/xb']],
  [
    '/{hello,goodbye}//world',
    ['/hello/world', '/goodbye/cruel/world', '/hello/a/b/world'],
    ['/hi/world', '/hello/worlds', '/helloworld'],
  ],
  ['/a//b//c', ['/a/b/c', '/a/x/b/y/c', '/a/b/b/c', '/a/c/b/c'], ['/a/c', '/a/b', '/a/c/b']],
  ['//a//a', ['/a/a', '/x/a/y/a/z/a'], ['/a', '/a/x']],
  ['/a/a//a/a', ['/a/a/a/a', '/a/a/x/a/a', '/a/a/a/a/a'], ['/a/a/a', '/a/a', '/a/aa/a', '/a/a/a/ab']],
  ['//xremote', ['/xremote', '/a/xremote'], ['/axremote', '/xremote/a', 'xremote']],
  ['/a//*/z', ['/a/b/z', '/a/b/c/z'], ['/a/z']],
  ['//[ab]//c?', ['/a/cx', '/q/b/r/cy'], ['/cx', '/a/c']],
];

describe('pattern: matchAddress table', () => {
  for (const [pattern, yes, no] of TABLE) {
    it(`${pattern}`, () => {
      for (const a of yes) assert.equal(matchAddress(pattern, a), true, `${pattern} should match ${a}`);
      for (const a of no) assert.equal(matchAddress(pattern, a), false, `${pattern} should not match ${a}`);
      const c = compilePattern(pattern);
      for (const a of yes) assert.notEqual(c.exec(a), null);
      for (const a of no) assert.equal(c.exec(a), null);
    });
  }

  it('a non-string address never matches and never throws', () => {
    for (const p of ['/a', '/a/*', '//a', '/{a,b}x']) {
      for (const a of /** @type {any[]} */ ([undefined, null, 42, {}])) {
        assert.equal(compilePattern(p).match(a), false);
        assert.equal(compilePattern(p).exec(a), null);
      }
    }
  });

  it('literal patterns are flagged literal and match by equality only', () => {
    assert.equal(compilePattern('/mixer/ch/1/fader').literal, true);
    assert.equal(compilePattern('/a+b.$').literal, true);
    assert.equal(compilePattern('/a/*').literal, false);
    assert.equal(compilePattern('//a').literal, false);
    assert.equal(compilePattern('/a/b').source, '/a/b');
  });

  it('an incoming pattern matches a rule\u2019s literal address through the same function', () => {
    assert.equal(matchAddress('/mixer/ch/*/fader', '/mixer/ch/12/fader'), true);
    assert.equal(matchAddress('/mixer/ch/{1,2}/fader', '/mixer/ch/3/fader'), false);
  });
});

// [pattern, offset of the fault]
/** @type {Array<[string, number]>} */
const INVALID = [
  ['', 0],
  ['a/b', 0],
  ['/', 1],
  ['/a/', 3],
  ['/a///b', 4],
  ['/a//', 4],
  ['//', 2],
  ['/a b', 2],
  ['/a#b', 2],
  ['/a,b', 2],
  ['/a\tb', 2],
  ['/a\u0000b', 2],
  ['/a\u007fb', 2],
  ['/a[bc', 2],
  ['/a[b/c]', 2],
  ['/a[]', 2],
  ['/a[!]', 2],
  ['/a[z-a]', 3],
  ['/a[b*]', 4],
  ['/a[b?]', 4],
  ['/a[[]', 3],
  ['/a[{]', 3],
  ['/a[}]', 3],
  ['/a[ ]', 3],
  ['/a[,]', 3],
  ['/a{b,c', 2],
  ['/a{b/c}', 2],
  ['/a{b*}', 4],
  ['/a{b?}', 4],
  ['/a{[b]}', 3],
  ['/a{b]}', 4],
  ['/a{{b}}', 3],
  ['/a{b c}', 4],
  ['/a]', 2],
  ['/a}', 2],
  ['/ok/{a,b}/x]', 11],
];

describe('pattern: invalid patterns', () => {
  for (const [pattern, offset] of INVALID) {
    it(`${JSON.stringify(pattern)} -> BAD_PATTERN at ${offset}`, () => {
      for (const f of [() => compilePattern(pattern), () => matchAddress(pattern, '/a')]) {
        assert.throws(f, (/** @type {any} */ e) => {
          assert.equal(e.name, 'OscError');
          assert.equal(e.code, 'BAD_PATTERN');
          assert.equal(e.offset, offset, e.message);
          return true;
        });
      }
    });
  }

  it('a non-string pattern is BAD_PATTERN, not a TypeError', () => {
    assert.throws(() => compilePattern(undefined), { code: 'BAD_PATTERN' });
  });
});

describe('pattern: isPattern and validateAddress', () => {
  it('isPattern detects every operator and //', () => {
    for (const s of ['/a?', '/a*', '/[a]', '/{a}', '/a//b', '//a', '/a]', '/a}']) assert.equal(isPattern(s), true, s);
    for (const s of ['/a', '/a/b', '/a+b.c', '/a,b', '/']) assert.equal(isPattern(s), false, s);
  });

  it('validateAddress accepts literal addresses', () => {
    for (const a of ['/a', '/mixer/ch/01/mix/on', '/a+b.$^|()\\', '/\u00e9t\u00e9', '/a!-b']) validateAddress(a);
  });

  it('validateAddress rejects what a method address cannot be, with the offset', () => {
    /** @type {Array<[string, number]>} */
    const cases = [
      ['', 0],
      ['a', 0],
      ['/', 1],
      ['/a/', 3],
      ['/a//b', 3],
      ['/a b', 2],
      ['/a#', 2],
      ['/a,b', 2],
      ['/a*', 2],
      ['/a?', 2],
      ['/[a]', 1],
      ['/{a}', 1],
      ['/a]', 2],
      ['/a}', 2],
      ['/a\u0000', 2],
      ['/a\n', 2],
    ];
    for (const [a, offset] of cases) {
      assert.throws(
        () => validateAddress(a),
        (/** @type {any} */ e) => e.code === 'BAD_ADDRESS' && e.offset === offset,
        JSON.stringify(a),
      );
    }
    assert.throws(() => validateAddress(/** @type {any} */ (42)), { code: 'BAD_ADDRESS' });
  });
});

describe('pattern: exec', () => {
  /** @type {Array<[string, string, string[]]>} */
  const cases = [
    ['/hello/world', '/hello/world', []],
    ['/hello/*', '/hello/sarah', ['sarah']],
    ['/mixer/ch/*/fader', '/mixer/ch/12/fader', ['12']],
    ['/{a,b}/x/[0-9]?', '/b/x/42', ['b', '42']],
    ['/a//b', '/a/b', ['']],
    ['/a//b', '/a/x/y/b', ['x/y']],
    ['//*', '/a/b/c', ['a/b', 'c']],
    ['//*', '/a', ['', 'a']],
    ['/{hello,goodbye}//world', '/goodbye/cruel/world', ['goodbye', 'cruel']],
    // earlier gaps take as few parts as possible
    ['/a//b//c', '/a/b/b/c', ['', 'b']],
    ['//x//*', '/x/x/x', ['', 'x', 'x']],
  ];
  for (const [p, a, parts] of cases) {
    it(`${p} on ${a}`, () => assert.deepEqual(compilePattern(p).exec(a), parts));
  }
  it('returns null when there is no match', () => {
    assert.equal(compilePattern('/a/*').exec('/b/c'), null);
    assert.equal(compilePattern('/a').exec('/b'), null);
    assert.equal(compilePattern('//a').exec('/b'), null);
  });
});

describe('pattern: cache', () => {
  it('returns the same compiled object for the same pattern', () => {
    assert.equal(compilePattern('/cache/*/x'), compilePattern('/cache/*/x'));
  });

  it('stays bounded under a flood of distinct patterns and keeps hot ones', () => {
    clearPatternCache();
    const hot = compilePattern('/hot/*');
    for (let i = 0; i < 10 * patternCacheLimit; i++) {
      compilePattern(`/flood/${i}/*`);
      if (i % 100 === 0) compilePattern('/hot/*');
      assert.ok(patternCacheSize() <= patternCacheLimit);
    }
    assert.ok(patternCacheSize() > 0);
    assert.equal(compilePattern('/hot/*'), hot);
  });

  it('does not keep very long patterns', () => {
    clearPatternCache();
    compilePattern('/' + 'a*'.repeat(2000));
    assert.equal(patternCacheSize(), 0);
  });
});

describe('pattern: hostile input finishes quickly (polynomial, never exponential)', () => {
  it('30 stars and ? mixed with literals against a 2 KB address', () => {
    const patterns = [
      '/' + '*a'.repeat(15) + '?'.repeat(15) + 'b',
      '/' + '*?'.repeat(15) + 'x',
      '/' + 'a*'.repeat(30) + 'b',
      '/' + '*{a,aa}'.repeat(15) + 'b', // braces force the NFA path
      '/' + '{,a}'.repeat(30) + '*b',
    ];
    const address = '/' + 'a'.repeat(2048);
    const t0 = process.hrtime.bigint();
    for (const p of patterns) assert.equal(matchAddress(p, address), false, p);
    assert.equal(matchAddress('/' + '*a'.repeat(15) + '?'.repeat(15), address), true);
    assert.equal(matchAddress('/' + '{,a}'.repeat(30) + '*a', address), true);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.ok(ms < 200, `took ${ms} ms`);
  });

  it("'//' repeated 20 times against 200 parts", () => {
    const address = '/a'.repeat(200);
    const patterns = [
      '//a'.repeat(20) + '//b',
      '//a'.repeat(20) + '/b',
      '//*'.repeat(20) + '//b',
      '//a'.repeat(20) + '//[!a]',
    ];
    const t0 = process.hrtime.bigint();
    for (const p of patterns) assert.equal(matchAddress(p, address), false, p);
    assert.equal(matchAddress('//a'.repeat(20), address), true);
    assert.equal(matchAddress('//*'.repeat(20), address), true);
    assert.equal(compilePattern('//a'.repeat(20)).exec(address).length, 20);
    assert.equal(compilePattern('//*'.repeat(20)).exec(address).length, 40);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.ok(ms < 200, `took ${ms} ms`);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Property test against an obviously correct (and exponential) reference: plain recursion over parts and
// characters, straight from the spec's wording.

function refPart(p, i, s, j) {
  if (i === p.length) return j === s.length;
  const c = p[i];
  if (c === '*') return refPart(p, i + 1, s, j) || (j < s.length && refPart(p, i, s, j + 1));
  if (c === '?') return j < s.length && refPart(p, i + 1, s, j + 1);
  if (c === '[') {
    const close = p.indexOf(']', i + 2);
    let body = p.slice(i + 1, close);
    const neg = body[0] === '!';
    if (neg) body = body.slice(1);
    let inSet = false;
    for (let k = 0; k < body.length; k++) {
      if (k + 2 < body.length && body[k + 1] === '-') {
        if (s[j] >= body[k] && s[j] <= body[k + 2]) inSet = true;
        k += 2;
      } else if (s[j] === body[k]) inSet = true;
    }
    return j < s.length && inSet !== neg && refPart(p, close + 1, s, j + 1);
  }
  if (c === '{') {
    const close = p.indexOf('}', i);
    return p
      .slice(i + 1, close)
      .split(',')
      .some((alt) => s.startsWith(alt, j) && refPart(p, close + 1, s, j + alt.length));
  }
  return s[j] === c && refPart(p, i + 1, s, j + 1);
}

function refParts(items, i, parts, j) {
  if (i === items.length) return j === parts.length;
  if (items[i] === '')
    return refParts(items, i + 1, parts, j) || (j < parts.length && refParts(items, i, parts, j + 1));
  return j < parts.length && refPart(items[i], 0, parts[j], 0) && refParts(items, i + 1, parts, j + 1);
}

function refMatch(pattern, address) {
  // An empty item stands for '//': "/a//b".slice(1).split('/') is ['a', '', 'b'].
  return refParts(pattern.slice(1).split('/'), 0, address.slice(1).split('/'), 0);
}

const patternToken = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', 'b', '.') },
  { weight: 2, arbitrary: fc.constantFrom('?', '*') },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.boolean(), fc.array(fc.constantFrom('a', 'b', '.', 'a-b', '.-a'), { minLength: 1, maxLength: 2 }))
      .map(([neg, xs]) => `[${neg ? '!' : ''}${xs.join('')}]`),
  },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.stringMatching(/^[ab]{0,2}$/), { minLength: 1, maxLength: 3 })
      .map((xs) => `{${xs.join(',')}}`),
  },
);
const patternPart = fc.array(patternToken, { minLength: 1, maxLength: 4 }).map((ts) => ts.join(''));
const patternArb = fc
  .array(fc.tuple(fc.boolean(), patternPart), { minLength: 1, maxLength: 4 })
  .map((ps) => ps.map(([gap, part]) => (gap ? '//' : '/') + part).join(''));
const addressArb = fc
  .array(fc.stringMatching(/^[ab.]{0,3}$/), { minLength: 1, maxLength: 5 })
  .map((ps) => '/' + ps.join('/'));

/** Rebuilds the address from the pattern's literal parts and exec()'s captures, checking each capture. */
function checkCaptures(pattern, address, caps) {
  const items = pattern.slice(1).split('/');
  const rebuilt = [];
  let k = 0;
  for (const item of items) {
    if (item === '') {
      const gap = caps[k++];
      if (gap !== '') rebuilt.push(gap);
    } else if (/[?*[\]{}]/.test(item)) {
      const cap = caps[k++];
      assert.ok(!cap.includes('/') && refPart(item, 0, cap, 0), `capture ${cap} for ${item}`);
      rebuilt.push(cap);
    } else rebuilt.push(item);
  }
  assert.equal(k, caps.length);
  assert.equal('/' + rebuilt.join('/'), address);
}

describe('pattern: property test against a reference matcher', () => {
  it('agrees with plain recursion on random patterns and addresses', () => {
    fc.assert(
      fc.property(patternArb, fc.array(addressArb, { minLength: 1, maxLength: 8 }), (pattern, addresses) => {
        const c = compilePattern(pattern);
        for (const a of addresses) {
          const expected = refMatch(pattern, a);
          assert.equal(c.match(a), expected, `${pattern} vs ${a}`);
          const caps = c.exec(a);
          assert.equal(caps !== null, expected);
          // A gap over one empty part and a gap over none both read '', so only valid addresses rebuild exactly.
          if (caps && !/\/\/|\/$/.test(a)) checkCaptures(pattern, a, caps);
        }
      }),
      { seed: 20261126, numRuns: 3000 },
    );
  });

  it('agrees on addresses generated to match (so true cases are well covered)', () => {
    // Instantiate the pattern: pick something each operator accepts, then compare.
    const instantiate = (pattern, rnd) =>
      '/' +
      pattern
        .slice(1)
        .split('/')
        .flatMap((item) => {
          if (item === '') return Array.from({ length: rnd(3) }, () => 'ab'.slice(0, rnd(3)));
          return [
            item
              .replace(/\{([^}]*)\}/g, (_, body) => {
                const alts = body.split(',');
                return alts[rnd(alts.length)];
              })
              .replace(/\[!?[^\]]*\]/g, () => 'ab.'[rnd(3)])
              .replace(/\?/g, () => 'ab.'[rnd(3)])
              .replace(/\*/g, () => 'ab'.slice(0, rnd(3))),
          ];
        })
        .join('/');
    fc.assert(
      fc.property(patternArb, fc.infiniteStream(fc.nat(1000)), (pattern, stream) => {
        const it = stream[Symbol.iterator]();
        const rnd = (n) => it.next().value % n;
        for (let k = 0; k < 5; k++) {
          const a = instantiate(pattern, rnd);
          assert.equal(matchAddress(pattern, a), refMatch(pattern, a), `${pattern} vs ${a}`);
        }
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});
