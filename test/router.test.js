'use strict';
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { Router, matchAddress, compilePattern, isPattern } = require('../dist/osc/pattern');

/** What the router must return: every rule tested one by one. */
function bruteForce(rules, address) {
  const out = [];
  rules.forEach(([pattern, payload], index) => {
    let ok;
    if (isPattern(address)) {
      try {
        ok = compilePattern(pattern).literal ? matchAddress(address, pattern) : pattern === address;
      } catch {
        ok = false;
      }
    } else ok = matchAddress(pattern, address);
    if (ok) out.push({ payload, pattern, index });
  });
  return out;
}

const strip = (ms) => ms.map(({ payload, pattern, index }) => ({ payload, pattern, index }));

function routerOf(rules) {
  const r = new Router();
  for (const [p, payload] of rules) r.add(p, payload);
  return r;
}

describe('router', () => {
  const rules = [
    ['/mixer/ch/*/fader', 'any fader'],
    ['/mixer/ch/1/fader', 'ch1 fader'],
    ['//fader', 'every fader'],
    ['/synth/*/freq', 'synth freq'],
    ['/mixer/ch/1/fader', 'ch1 fader again'],
    ['/*/ch/[0-9]/fader', 'single digit'],
    ['/mixer/{ch,bus}/1/*', 'ch or bus 1'],
    ['/mixer/ch/1/mute', 'ch1 mute'],
  ];

  it('returns every matching rule in rule order, with what the wildcards matched', () => {
    const r = routerOf(rules);
    assert.equal(r.size, rules.length);
    assert.deepEqual(r.match('/mixer/ch/1/fader'), [
      { payload: 'any fader', pattern: '/mixer/ch/*/fader', index: 0, parts: ['1'] },
      { payload: 'ch1 fader', pattern: '/mixer/ch/1/fader', index: 1, parts: [] },
      { payload: 'every fader', pattern: '//fader', index: 2, parts: ['mixer/ch/1'] },
      { payload: 'ch1 fader again', pattern: '/mixer/ch/1/fader', index: 4, parts: [] },
      { payload: 'single digit', pattern: '/*/ch/[0-9]/fader', index: 5, parts: ['mixer', '1'] },
      { payload: 'ch or bus 1', pattern: '/mixer/{ch,bus}/1/*', index: 6, parts: ['ch', 'fader'] },
    ]);
    assert.deepEqual(strip(r.match('/mixer/bus/1/mute')), [
      { payload: 'ch or bus 1', pattern: '/mixer/{ch,bus}/1/*', index: 6 },
    ]);
    assert.deepEqual(r.match('/nothing'), []);
    assert.deepEqual(r.match(''), []);
    assert.deepEqual(r.match('mixer/ch/1/fader'), []);
  });

  it('matchFirst returns the lowest-index match or undefined', () => {
    const r = routerOf(rules);
    assert.equal(r.matchFirst('/mixer/ch/1/fader').index, 0);
    assert.equal(r.matchFirst('/mixer/ch/1/mute').index, 6);
    assert.equal(r.matchFirst('/synth/a/freq').payload, 'synth freq');
    assert.equal(r.matchFirst('/synth/a/amp'), undefined);
    assert.equal(r.matchFirst('/mixer/ch/{1,2}/mute').index, 7);
  });

  it('matches an incoming pattern against literal rules; pattern rules only by equal text', () => {
    const r = routerOf(rules);
    assert.deepEqual(r.match('/mixer/ch/*/{fader,mute}'), [
      { payload: 'ch1 fader', pattern: '/mixer/ch/1/fader', index: 1, parts: ['1', 'fader'] },
      { payload: 'ch1 fader again', pattern: '/mixer/ch/1/fader', index: 4, parts: ['1', 'fader'] },
      { payload: 'ch1 mute', pattern: '/mixer/ch/1/mute', index: 7, parts: ['1', 'mute'] },
    ]);
    assert.deepEqual(strip(r.match('//fader')), [
      { payload: 'ch1 fader', pattern: '/mixer/ch/1/fader', index: 1 },
      { payload: 'every fader', pattern: '//fader', index: 2 },
      { payload: 'ch1 fader again', pattern: '/mixer/ch/1/fader', index: 4 },
    ]);
    assert.deepEqual(
      r.match('/synth/*/freq').map((m) => m.index),
      [3],
    );
  });

  it('never throws on what arrives: invalid patterns and non-strings match nothing', () => {
    const r = routerOf(rules);
    for (const a of /** @type {any[]} */ (['/mixer/ch/[1', '/a{', '//', '/a b/*', undefined, null, 42])) {
      assert.deepEqual(r.match(a), []);
      assert.equal(r.matchFirst(a), undefined);
    }
  });

  it('rejects an invalid rule with BAD_PATTERN and stays as it was', () => {
    const r = routerOf(rules);
    assert.throws(() => r.add('/a/[b', 1), { code: 'BAD_PATTERN', offset: 3 });
    assert.throws(() => r.add('no-slash', 1), { code: 'BAD_PATTERN', offset: 0 });
    assert.equal(r.size, rules.length);
    r.add('/late', 'late');
    assert.deepEqual(r.match('/late'), [{ payload: 'late', pattern: '/late', index: rules.length, parts: [] }]);
  });

  it('clear() forgets every rule and numbering restarts', () => {
    const r = routerOf(rules);
    r.clear();
    assert.equal(r.size, 0);
    assert.deepEqual(r.match('/mixer/ch/1/fader'), []);
    r.add('/x/*', 'x');
    assert.deepEqual(r.match('/x/y'), [{ payload: 'x', pattern: '/x/*', index: 0, parts: ['y'] }]);
  });

  it('does not test rules whose literal prefix rules them out', () => {
    const r = new Router();
    for (let i = 0; i < 50; i++) r.add(`/synth/${i}/*`, i);
    r.add('/mixer/*/fader', 'fader');
    // The router holds the cached compiled objects, so counting calls on them counts the router's tests.
    const counted = [];
    for (let i = 0; i < 50; i++) {
      const c = compilePattern(`/synth/${i}/*`);
      const orig = c.exec;
      c.exec = function (a) {
        counted.push(i);
        return orig.call(this, a);
      };
    }
    try {
      assert.deepEqual(
        r.match('/mixer/1/fader').map((m) => m.payload),
        ['fader'],
      );
      assert.deepEqual(counted, []);
      assert.deepEqual(
        r.match('/synth/7/freq').map((m) => m.payload),
        [7],
      );
      assert.deepEqual(counted, [7]);
    } finally {
      for (let i = 0; i < 50; i++) delete compilePattern(`/synth/${i}/*`).exec;
    }
  });

  it('1,000 realistic rules give the same results as testing each rule', () => {
    const rules = [];
    const params = ['fader', 'mute', 'pan', 'gain'];
    for (let i = 0; rules.length < 1000; i++) {
      const ch = String(i % 64).padStart(2, '0');
      switch (i % 10) {
        case 0:
          rules.push([`/mixer/ch/${ch}/*`, i]);
          break;
        case 1:
          rules.push([`/synth/*/freq`, i]);
          break;
        case 2:
          rules.push([`//${params[i % 4]}`, i]);
          break;
        case 3:
          rules.push([`/fx/{rev,dly}/${i % 7}/mix`, i]);
          break;
        case 4:
          rules.push([`/*/ch/${ch}/${params[i % 4]}`, i]);
          break;
        default:
          rules.push([`/mixer/ch/${ch}/${params[i % 4]}`, i]);
      }
    }
    const r = routerOf(rules);
    assert.equal(r.size, 1000);
    const addresses = [
      '/mixer/ch/07/fader',
      '/mixer/ch/63/mute',
      '/synth/lead/freq',
      '/fx/rev/3/mix',
      '/fx/dly/9/mix',
      '/mixer/ch/07',
      '/a/b/c/pan',
      '/nothing',
      '/mixer/ch/*/fader',
      '/fx/{rev,dly}/3/mix',
      '//gain',
    ];
    for (const a of addresses) {
      const got = r.match(a);
      assert.deepEqual(strip(got), bruteForce(rules, a), a);
      for (const m of got)
        assert.deepEqual(
          m.parts,
          isPattern(a) ? compilePattern(a).exec(m.pattern) || [] : compilePattern(m.pattern).exec(a),
        );
      const first = r.matchFirst(a);
      assert.equal(first && first.index, got.length ? got[0].index : undefined);
    }
    assert.ok(r.match('/mixer/ch/07/fader').length > 3);
  });

  it('agrees with brute force on random rule sets and addresses', () => {
    const part = fc.constantFrom('a', 'b', 'ab', '*', '?', '[ab]', '{a,b}', 'a*', '{,a}b');
    const litPart = fc.constantFrom('a', 'b', 'ab', 'ba');
    const pattern = fc
      .array(fc.tuple(fc.boolean(), part), { minLength: 1, maxLength: 3 })
      .map((ps) => ps.map(([gap, p]) => (gap ? '//' : '/') + p).join(''));
    const literal = fc.array(litPart, { minLength: 1, maxLength: 3 }).map((ps) => '/' + ps.join('/'));
    const rule = fc.oneof(pattern, literal);
    fc.assert(
      fc.property(
        fc.array(rule, { minLength: 1, maxLength: 30 }),
        fc.array(fc.oneof(literal, pattern), { maxLength: 10 }),
        (ps, addresses) => {
          const rules = ps.map((p, i) => [p, i]);
          const r = routerOf(rules);
          for (const a of addresses) {
            assert.deepEqual(strip(r.match(a)), bruteForce(rules, a), a);
            const first = bruteForce(rules, a)[0];
            assert.equal(r.matchFirst(a)?.index, first?.index);
          }
        },
      ),
      { seed: 424242, numRuns: 500 },
    );
  });

  it('loads whether pattern or router is required first', () => {
    const { execFileSync } = require('node:child_process');
    const out = execFileSync(process.execPath, [
      '-e',
      "const r = require('./dist/osc/router'); const p = require('./dist/osc/pattern'); const x = new r.Router(); x.add('/a/*', 1); console.log(p.Router === r.Router, x.match('/a/b').length)",
    ]);
    assert.equal(out.toString().trim(), 'true 1');
  });
});
