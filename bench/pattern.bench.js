'use strict';
// Address pattern matching and routing, against the usual approach (aiosc, python-osc, osc-js): translate each
// rule's pattern to a regular expression once, then test every rule against every incoming address.
const { compilePattern, Router } = require('../dist/osc/pattern');
const { opsPerSecond, formatOps, printTable } = require('./measure');

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
      re += '(?:' + pattern.slice(i + 1, j).split(',').map(escape).join('|') + ')';
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

async function run() {
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
    const re = regexOf(p);
    if (c.match(typical) !== re.test(typical) || !c.match(typical)) throw new Error(`bench setup: ${p} disagrees`);
    const ours = opsPerSecond(() => c.match(typical));
    const base = opsPerSecond(() => re.test(typical));
    rows.push({ name: `${name} ${p}`, cells: { ours: formatOps(ours), 'regex (baseline)': formatOps(base), ratio: (ours / base).toFixed(2) + 'x' } });
  }
  printTable(`One compiled pattern on ${typical}, matches/s`, ['ours', 'regex (baseline)', 'ratio'], rows);

  const routerRows = [];
  for (const n of [10, 100, 1000]) {
    const rules = makeRules(n);
    const router = new Router();
    for (const [p, payload] of rules) router.add(p, payload);
    const baseline = new RegexRouter(rules);
    for (const a of ADDRESSES) {
      const got = router.match(a).map((m) => m.index).join();
      const want = baseline.match(a).map((m) => m.index).join();
      if (got !== want) throw new Error(`bench setup: router and baseline disagree on ${a} with ${n} rules`);
    }
    const k = ADDRESSES.length;
    const ours = opsPerSecond((i) => router.match(ADDRESSES[i % k]));
    const base = opsPerSecond((i) => baseline.match(ADDRESSES[i % k]));
    routerRows.push({ name: `${n} rules`, cells: { ours: formatOps(ours), 'regex per rule (baseline)': formatOps(base), ratio: (ours / base).toFixed(1) + 'x' } });
  }
  printTable('Router lookups/s (every matching rule, in order; mixed literal, wildcard and // rules)', ['ours', 'regex per rule (baseline)', 'ratio'], routerRows);
  console.log('target: at least 10x the baseline at 1,000 rules');
}

module.exports = { run };
