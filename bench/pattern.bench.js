'use strict';
// Address pattern matching and routing, against the usual approach (aiosc, python-osc, osc-js): translate each
// rule's pattern to a regular expression once, then test every rule against every incoming address.
const path = require('node:path');
const { interleavedOps, formatOps, printTable, loadEntry } = require('./measure');
const { compilePattern, Router } = loadEntry(path.resolve(__dirname, '..'), './pattern');

/** aiosc's translation ('*' -> [^/]*, '?' -> [^/], '//' -> any number of parts), written carefully enough to be correct. */
function regexOf(pattern) {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '/' && pattern[i + 1] === '/') {
      re += '\\/(?:[^/]*\\/)*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const j = pattern.indexOf(']', i);
      let body = pattern.slice(i + 1, j).replace(/[\\\]^]/g, '\\$&');
      if (body[0] === '!') body = '^' + body.slice(1);
      re += '[' + body + ']';
      i = j;
    } else if (c === '{') {
      const j = pattern.indexOf('}', i);
      re +=
        '(?:' +
        pattern
          .slice(i + 1, j)
          .split(',')
          .map(escape)
          .join('|') +
        ')';
      i = j;
    } else re += escape(c);
  }
  return new RegExp('^' + re + '$');
}
function escape(s) {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The baseline router: every rule, in order, one regex test each. */
class RegexRouter {
  constructor(rules) {
    this.rules = rules.map(([p, payload]) => ({ re: regexOf(p), payload, pattern: p }));
  }
  match(address) {
    const out = [];
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      if (rules[i].re.test(address)) out.push({ payload: rules[i].payload, pattern: rules[i].pattern, index: i });
    }
    return out;
  }
}

/** A show's worth of rules: mostly literal desk addresses, some wildcards, a few '//' catch-alls. */
function makeRules(n) {
  const params = ['fader', 'mute', 'pan', 'gain'];
  /** @type {Array<[string, number | string]>} */
  const rules = [];
  for (let i = 0; rules.length < n; i++) {
    const ch = String((i >> 2) % 64).padStart(2, '0');
    switch (i % 20) {
      case 0:
        rules.push([`/mixer/ch/${ch}/*`, i]);
        break;
      case 1:
        rules.push([`/synth/${i % 16}/*/freq`, i]);
        break;
      case 2:
        rules.push([`/fx/{rev,dly}/${i % 8}/mix`, i]);
        break;
      case 3:
        rules.push([`/light/${i % 32}/[rgb]`, i]);
        break;
      case 4:
        rules.push([`/cue/${i}/go`, i]);
        break;
      case 5:
        rules.push([`/mixer/bus/${ch}/${params[i % 4]}`, i]);
        break;
      default:
        rules.push([`/mixer/ch/${ch}/${params[i % 4]}`, i]);
    }
  }
  // Catch-alls users really write, near the end of the list.
  if (n >= 10) rules.splice(n - 2, 2, ['//xremote', 'xremote'], ['/synth/*/freq', 'any synth']);
  return rules;
}

const ADDRESSES = [
  '/mixer/ch/07/fader',
  '/mixer/ch/12/mute',
  '/mixer/bus/03/pan',
  '/synth/3/osc1/freq',
  '/fx/dly/5/mix',
  '/light/12/g',
  '/cue/44/go',
  '/touchosc/page1/xy',
];

/**
 * Ops/s of ours, of alt (another checkout, when given) and of the baseline, in interleaved rounds; the row's
 * cells, with `ratio` ours / baseline and `ours / alt` (the median over rounds, as in codec.bench.js).
 */
function compare(name, ours, alt, base, baseName, ratioDigits, rounds = 5) {
  const { best: ops, median } = interleavedOps(alt ? [ours, alt, base] : [ours, base], { rounds, roundMs: 200 });
  const b = ops[ops.length - 1];
  const cells = { ours: formatOps(ops[0]), [baseName]: formatOps(b), ratio: (ops[0] / b).toFixed(ratioDigits) + 'x' };
  if (alt) {
    cells.alt = formatOps(ops[1]);
    cells['ours / alt'] = median(0, 1).toFixed(2);
  }
  return { name, cells };
}

/** @param {{ alt?: string, rounds?: number }} [options] see run.js */
async function run({ alt: altDir, rounds } = {}) {
  const alt = altDir ? loadEntry(altDir, './pattern') : undefined;
  const altCols = alt ? ['alt', 'ours / alt'] : [];
  const typical = '/mixer/ch/12/fader';
  const one = [
    ['literal', '/mixer/ch/12/fader'],
    ['* part', '/mixer/ch/*/fader'],
    ['{} and [] parts', '/mixer/{ch,bus}/1[0-9]/fader'],
    ['// gap', '/mixer//fader'],
  ];
  const rows = [];
  for (const [name, p] of one) {
    const c = compilePattern(p);
    const a = alt?.compilePattern(p);
    const re = regexOf(p);
    if (c.match(typical) !== re.test(typical) || !c.match(typical)) throw new Error(`bench setup: ${p} disagrees`);
    if (a && !a.match(typical)) throw new Error(`bench setup: alt disagrees on ${p}`);
    rows.push(
      compare(
        `${name} ${p}`,
        () => c.match(typical),
        a && (() => a.match(typical)),
        () => re.test(typical),
        'regex (baseline)',
        2,
        rounds,
      ),
    );
  }
  printTable(`One compiled pattern on ${typical}, matches/s`, ['ours', ...altCols, 'regex (baseline)', 'ratio'], rows);

  const routerRows = [];
  for (const n of [10, 100, 1000]) {
    const rules = makeRules(n);
    const router = new Router();
    for (const [p, payload] of rules) router.add(p, payload);
    const altRouter = alt && new alt.Router();
    if (altRouter) for (const [p, payload] of rules) altRouter.add(p, payload);
    const baseline = new RegexRouter(rules);
    for (const a of ADDRESSES) {
      const got = router
        .match(a)
        .map((m) => m.index)
        .join();
      const want = baseline
        .match(a)
        .map((m) => m.index)
        .join();
      if (got !== want) throw new Error(`bench setup: router and baseline disagree on ${a} with ${n} rules`);
      if (
        altRouter &&
        altRouter
          .match(a)
          .map((m) => m.index)
          .join() !== got
      )
        throw new Error(`bench setup: alt disagrees on ${a}`);
    }
    const k = ADDRESSES.length;
    routerRows.push(
      compare(
        `${n} rules`,
        (i) => router.match(ADDRESSES[i % k]),
        altRouter && ((i) => altRouter.match(ADDRESSES[i % k])),
        (i) => baseline.match(ADDRESSES[i % k]),
        'regex per rule (baseline)',
        1,
        rounds,
      ),
    );
  }
  printTable(
    'Router lookups/s (every matching rule, in order; mixed literal, wildcard and // rules)',
    ['ours', ...altCols, 'regex per rule (baseline)', 'ratio'],
    routerRows,
  );
  console.log('target: at least 10x the baseline at 1,000 rules');
}

module.exports = { run };
