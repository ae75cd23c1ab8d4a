'use strict';
// NTP timetags: conversions to and from JS time, exact where JS time can be exact, across the 2036 rollover.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const t = require('../dist/osc/timetag.js');
const { OscError } = require('../dist/osc/codec.js');

const ROLLOVER_MS = Date.UTC(2036, 1, 7, 6, 28, 16); // NTP seconds 2^32, era 1 begins

function refuses(fn) {
  assert.throws(fn, (e) => e instanceof OscError && e.code === 'BAD_TIMETAG');
}

describe('timetag helpers', () => {
  it('IMMEDIATELY is {0, 1}, frozen, and distinct from 0', () => {
    assert.deepEqual(t.IMMEDIATELY, { seconds: 0, fraction: 1 });
    assert.ok(Object.isFrozen(t.IMMEDIATELY));
    assert.ok(t.isImmediately({ seconds: 0, fraction: 1 }));
    assert.ok(!t.isImmediately({ seconds: 0, fraction: 0 }));
    assert.ok(!t.isImmediately(t.timetagFromMillis(0)));
    // IMMEDIATELY is never read as a time in 2036; it maps to the epoch, a time in the past.
    assert.equal(t.timetagToMillis(t.IMMEDIATELY), 0);
    assert.equal(t.timetagToUnixSeconds(t.IMMEDIATELY), 0);
  });

  it("converts the vectors' Unix time 1700000000.5", () => {
    const tt = { seconds: 3908988800, fraction: 2147483648 };
    assert.deepEqual(t.timetagFromUnixSeconds(1700000000.5), tt);
    assert.deepEqual(t.timetagFromMillis(1700000000500), tt);
    assert.deepEqual(t.timetagFromDate(new Date(1700000000500)), tt);
    assert.equal(t.timetagToMillis(tt), 1700000000500);
    assert.equal(t.timetagToUnixSeconds(tt), 1700000000.5);
    assert.equal(t.timetagToDate(tt).getTime(), 1700000000500);
  });

  it('crosses the 2036 rollover: seconds with the top bit clear are era 1', () => {
    assert.deepEqual(t.timetagFromMillis(ROLLOVER_MS), { seconds: 0, fraction: 0 });
    assert.deepEqual(t.timetagFromMillis(ROLLOVER_MS - 1000), { seconds: 0xffffffff, fraction: 0 });
    assert.deepEqual(t.timetagFromMillis(ROLLOVER_MS + 1500), { seconds: 1, fraction: 2147483648 });
    assert.equal(t.timetagToMillis({ seconds: 0, fraction: 0 }), ROLLOVER_MS);
    assert.equal(t.timetagToMillis({ seconds: 1, fraction: 0 }), ROLLOVER_MS + 1000);
    assert.equal(t.timetagToMillis({ seconds: 0x7fffffff, fraction: 0 }), Date.UTC(2104, 1, 26, 9, 42, 23));
    assert.equal(t.timetagToMillis({ seconds: 0x80000000, fraction: 0 }), Date.UTC(1968, 0, 20, 3, 14, 8));
    assert.ok(t.compareTimetags({ seconds: 1, fraction: 0 }, { seconds: 0xffffffff, fraction: 0 }) > 0);
    assert.ok(t.compareTimetags({ seconds: 0xffffffff, fraction: 5 }, { seconds: 0xffffffff, fraction: 4 }) > 0);
    assert.equal(t.compareTimetags({ seconds: 7, fraction: 4 }, { seconds: 7, fraction: 4 }), 0);
  });

  it('IMMEDIATELY sorts before every other timetag, even era 0', () => {
    assert.ok(t.compareTimetags(t.IMMEDIATELY, { seconds: 0x80000000, fraction: 0 }) < 0);
    assert.ok(t.compareTimetags({ seconds: 0, fraction: 0 }, t.IMMEDIATELY) > 0);
    assert.equal(t.compareTimetags(t.IMMEDIATELY, { seconds: 0, fraction: 1 }), 0);
  });

  it('refuses times an NTP timetag cannot express, and malformed timetags', () => {
    refuses(() => t.timetagFromMillis(Date.UTC(1968, 0, 1)));
    refuses(() => t.timetagFromMillis(Date.UTC(2104, 2, 1)));
    refuses(() => t.timetagFromMillis(NaN));
    refuses(() => t.timetagFromUnixSeconds(Infinity));
    refuses(() => t.timetagFromDate(new Date(NaN)));
    refuses(() => t.timetagToMillis({ seconds: 2 ** 32, fraction: 0 }));
    refuses(() => t.timetagToMillis({ seconds: 1, fraction: -1 }));
    refuses(() => t.toTimetag({ seconds: /** @type {any} */ ('1'), fraction: 0 }));
    assert.deepEqual(t.toTimetag({ seconds: 5, fraction: 6 }), { seconds: 5, fraction: 6 });
    assert.deepEqual(t.toTimetag(1700000000500), { seconds: 3908988800, fraction: 2147483648 });
  });

  it('integral epoch ms round-trip exactly, across the whole range', () => {
    const min = Date.UTC(1968, 0, 20, 3, 14, 8);
    const max = Date.UTC(2104, 1, 26, 9, 42, 23, 999);
    fc.assert(
      fc.property(fc.integer({ min, max }), (ms) => {
        const tt = t.timetagFromMillis(ms);
        assert.equal(t.timetagToMillis(tt), ms);
        assert.equal(t.timetagToDate(tt).getTime(), ms);
        assert.deepEqual(t.toTimetag(new Date(ms)), tt);
      }),
      { seed: 2036, numRuns: 2000 },
    );
    for (const ms of [min, max, ROLLOVER_MS - 1, ROLLOVER_MS, 0, -1, 999])
      assert.equal(t.timetagToMillis(t.timetagFromMillis(ms)), ms);
  });

  it('timetags round-trip through Unix seconds to within the fraction resolution, and order like time', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffffffff), (s1, f1, s2, f2) => {
        const a = { seconds: s1, fraction: f1 };
        const b = { seconds: s2, fraction: f2 };
        if (t.isImmediately(a)) return;
        const back = t.timetagFromUnixSeconds(t.timetagToUnixSeconds(a));
        const era = (x) => (x >= 2 ** 31 ? x : x + 2 ** 32); // top bit clear: after the 2036 rollover
        const err = (era(back.seconds) - era(a.seconds)) * 2 ** 32 + (back.fraction - a.fraction);
        assert.ok(Math.abs(err) <= 2 ** 12, `${JSON.stringify(a)} -> ${JSON.stringify(back)}`);
        if (!t.isImmediately(b)) {
          const byTime = Math.sign(t.timetagToMillis(a) - t.timetagToMillis(b));
          const cmp = Math.sign(t.compareTimetags(a, b));
          if (byTime !== 0) assert.equal(cmp, byTime);
        }
      }),
      { seed: 1900, numRuns: 2000 },
    );
  });
});
