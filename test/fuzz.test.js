'use strict';
// The fuzzer's findings, replayed forever, and a short bounded fuzzing pass with a fixed seed (CI). The long
// runs are `npm run fuzz -- --seconds 600`.
const assert = require('node:assert/strict');
const path = require('node:path');
const { allTargets } = require('../fuzz/targets');
const { runFuzz } = require('../fuzz/engine');
const regressions = require('../fuzz/regressions');

const targets = new Map(allTargets().map((t) => [t.name, t]));

const show = (findings) =>
  findings
    .map(
      (f) =>
        `[${f.kind}] ${f.target}: ${f.error.name}: ${f.error.message}\n  hex ${f.input.toString('hex').slice(0, 400)}\n  ${(f.error.stack || '').split('\n').slice(0, 4).join('\n  ')}`,
    )
    .join('\n');

describe('fuzzing', () => {
  describe('regression cases (test/fixtures/fuzz-regressions.json)', () => {
    const { cases } = regressions.load();
    let replayed;
    before(async function () {
      this.timeout(120000);
      // In a worker under the watchdog: a case that hangs again must fail its test, not stall the suite.
      replayed = await runFuzz({ replay: cases, seed: 0, slowMs: 100, hangMs: 2000 });
    });
    it('has a well-formed file', () => {
      assert.ok(Array.isArray(cases));
      for (const c of cases) {
        assert.ok(targets.has(c.target), `unknown target ${c.target}`);
        assert.match(c.hex, /^([0-9a-f]{2})*$/);
      }
    });
    cases.forEach((c, i) => {
      it(`#${i + 1} ${c.target} (${c.kind}, found ${c.found}): ${c.error.slice(0, 90)}`, function () {
        if (replayed.skipped[c.target]) this.skip();
        const mine = replayed.findings.filter((f) => f.caseIndex === i);
        assert.equal(mine.length, 0, show(mine));
      });
    });
  });

  it('a bounded pass with a fixed seed over every target finds nothing', async function () {
    this.timeout(60000);
    const { findings, stats, skipped } = await runFuzz({
      seed: 42,
      iterations: 1500,
      seconds: 20,
      slowMs: 100,
      hangMs: 3000,
    });
    assert.deepEqual(skipped, {}, 'every target is built');
    assert.equal(findings.length, 0, show(findings));
    for (const name of targets.keys())
      assert.ok(
        (stats[name] && stats[name].execs >= 1500) || stats._seconds >= 19,
        `${name} ran: ${JSON.stringify(stats[name])}`,
      );
  });

  it('reports a crash, a broken invariant, a slow call and a hang (the harness can fail)', async function () {
    this.timeout(60000);
    const { findings, stats } = await runFuzz({
      seed: 7,
      iterations: 3000,
      seconds: 20,
      slowMs: 100,
      hangMs: 500,
      targetsModule: path.join(__dirname, 'helpers', 'fuzz-bad-targets.js'),
    });
    const kinds = Object.fromEntries(findings.map((f) => [f.target, f]));
    assert.equal(kinds['throws-typeerror']?.kind, 'crash', show(findings));
    assert.equal(kinds['throws-typeerror'].error.name, 'TypeError');
    assert.ok(kinds['throws-typeerror'].input.includes(0x80));
    assert.ok(kinds['throws-typeerror'].input.length <= 2, 'the crasher is minimised to the byte that matters');
    assert.equal(kinds['breaks-invariant']?.kind, 'invariant', show(findings));
    assert.equal(kinds.slow?.kind, 'slow', show(findings));
    assert.ok(kinds.slow.ms >= 100);
    assert.equal(kinds.hangs?.kind, 'hang', show(findings));
    assert.ok(kinds.hangs.input.includes(0xc0), 'the hang is reported with the input that hung');
    assert.ok(stats['throws-typeerror'], 'the other targets kept running after the hang');
  });
});
