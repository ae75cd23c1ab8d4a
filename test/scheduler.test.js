'use strict';
// The bundle scheduler on a fake clock (ordering, nesting, policies, limits) and on the real clock; the wall clock
// with sub-millisecond resolution it runs on by default.
const assert = require('node:assert/strict');
const { once, EventEmitter } = require('node:events');
const fc = require('fast-check');
const { BundleScheduler } = require('../dist/osc/scheduler');
const { timetagFromMillis, IMMEDIATELY } = require('../dist/osc/timetag');
const { createWallClock, wallClockNow } = require('../dist/osc/clock');

const SEED = 20261126;
const T0 = Date.UTC(2026, 10, 26, 12, 0, 0); // a fixed "now" for the fake clock

/** A fake clock: time moves only in advance(), firing due timers in order at their own time. */
function fakeClock(start = T0) {
  let now = start;
  let timers = [];
  let created = 0;
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const h = { at: now + Math.max(0, ms), fn, id: created++ };
      timers.push(h);
      return h;
    },
    clearTimeout(h) {
      timers = timers.filter((t) => t !== h);
    },
    /** Moves time on by ms, running each timer when its time comes. */
    advance(ms) {
      const target = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at || a.id - b.id);
        const next = timers[0];
        if (!next || next.at > target) break;
        timers.shift();
        now = Math.max(now, next.at);
        next.fn();
      }
      now = target;
    },
    /** Moves time on without running timers, as a blocked event loop would. */
    jump(ms) {
      now += ms;
    },
    /** Runs the timers that are due now (the event loop unblocking). */
    runDue() {
      this.advance(0);
    },
    get pending() {
      return timers.length;
    },
  };
}

/** @returns {import('../dist/osc/types').OscMessage} */
const msg = (address, ...values) => ({ address, args: values.map((v) => ({ type: 'i', value: v })) });
const bundle = (ms, ...packets) => ({ timetag: ms === 'now' ? IMMEDIATELY : timetagFromMillis(ms), packets });

function setup(options = {}) {
  const clock = fakeClock();
  const calls = [];
  const dropped = [];
  const s = new BundleScheduler({
    onDue: (messages, info) => calls.push({ at: clock.now(), addresses: messages.map((m) => m.address), info }),
    onDrop: (messages, info) => dropped.push({ addresses: messages.map((m) => m.address), info }),
    clock,
    ...options,
  });
  return { clock, calls, dropped, s };
}

describe('bundle scheduler', () => {
  it('holds a bundle until its timetag is due, then emits its messages in order in one call', () => {
    const { clock, calls, s } = setup();
    s.schedule(bundle(T0 + 100, msg('/a'), msg('/b'), msg('/c')));
    assert.equal(calls.length, 0);
    assert.deepEqual(s.stats(), {
      waiting: 1,
      waitingMessages: 3,
      nextDue: T0 + 100,
      emitted: 0,
      late: 0,
      dropped: 0,
      rejected: 0,
    });
    clock.advance(99);
    assert.equal(calls.length, 0);
    clock.advance(1);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0].addresses, ['/a', '/b', '/c']);
    assert.equal(calls[0].at, T0 + 100);
    assert.deepEqual(calls[0].info, { due: T0 + 100, timetag: timetagFromMillis(T0 + 100), late: false, lateBy: 0 });
    assert.equal(s.stats().waiting, 0);
    assert.equal(s.stats().nextDue, null);
    assert.equal(clock.pending, 0);
  });

  it('emits IMMEDIATELY bundles and bare messages before schedule() returns, never late', () => {
    const { clock, calls, s } = setup();
    s.schedule(bundle('now', msg('/i1'), msg('/i2')));
    s.schedule(msg('/bare'));
    assert.deepEqual(
      calls.map((c) => c.addresses),
      [['/i1', '/i2'], ['/bare']],
    );
    assert.deepEqual(calls[0].info, { due: T0, timetag: IMMEDIATELY, late: false, lateBy: 0 });
    assert.equal(clock.pending, 0);
  });

  it('emits a past bundle at once; within the tolerance it is on time, beyond it late', () => {
    const { calls, s } = setup({ lateToleranceMs: 20 });
    s.schedule(bundle(T0 - 20, msg('/recent')));
    s.schedule(bundle(T0 - 500, msg('/old')));
    assert.deepEqual(
      calls.map((c) => [c.addresses[0], c.info.late, c.info.lateBy]),
      [
        ['/recent', false, 20],
        ['/old', true, 500],
      ],
    );
    assert.equal(s.stats().late, 1);
    assert.equal(s.stats().emitted, 2);
  });

  it("'drop' discards late groups, reports them to onDrop and counts them", () => {
    const { calls, dropped, s } = setup({ latePolicy: 'drop', lateToleranceMs: 10 });
    s.schedule(bundle(T0 - 11, msg('/late')));
    s.schedule(bundle(T0 - 10, msg('/ontime')));
    assert.deepEqual(
      calls.map((c) => c.addresses),
      [['/ontime']],
    );
    assert.deepEqual(
      dropped.map((d) => [d.addresses, d.info.late, d.info.lateBy]),
      [[['/late'], true, 11]],
    );
    assert.deepEqual([s.stats().dropped, s.stats().late, s.stats().emitted], [1, 1, 1]);
  });

  it('counts a bundle as late when the timer fires beyond the tolerance (blocked event loop)', () => {
    for (const policy of ['emit', 'drop']) {
      const { clock, calls, dropped, s } = setup({ latePolicy: policy, lateToleranceMs: 20 });
      s.schedule(bundle(T0 + 50, msg('/x')));
      s.schedule(bundle(T0 + 60, msg('/y')));
      clock.jump(75); // the loop was busy: /x is 25 ms late, /y 15 ms (within tolerance)
      clock.runDue();
      const handled = [
        ...calls.map((c) => [c.addresses[0], c.info.late]),
        ...dropped.map((d) => [d.addresses[0], 'dropped']),
      ];
      if (policy === 'emit')
        assert.deepEqual(handled, [
          ['/x', true],
          ['/y', false],
        ]);
      else
        assert.deepEqual(handled, [
          ['/y', false],
          ['/x', 'dropped'],
        ]);
      assert.equal(s.stats().late, 1);
    }
  });

  it('emits bundles in timetag order whatever the arrival order, and equal times in arrival order', () => {
    const { clock, calls, s } = setup();
    s.schedule(bundle(T0 + 300, msg('/3')));
    s.schedule(bundle(T0 + 100, msg('/1a')));
    s.schedule(bundle(T0 + 200, msg('/2')));
    s.schedule(bundle(T0 + 100, msg('/1b')));
    assert.equal(clock.pending, 1, 'one timer, for the earliest group');
    clock.advance(1000);
    assert.deepEqual(
      calls.map((c) => [c.addresses[0], c.at - T0]),
      [
        ['/1a', 100],
        ['/1b', 100],
        ['/2', 200],
        ['/3', 300],
      ],
    );
  });

  it('gives a waiting group that is overdue precedence over a new IMMEDIATELY bundle', () => {
    const { clock, calls, s } = setup();
    s.schedule(bundle(T0 + 10, msg('/queued')));
    clock.jump(15); // the timer has not run yet
    s.schedule(bundle('now', msg('/now')));
    assert.deepEqual(
      calls.map((c) => c.addresses[0]),
      ['/queued', '/now'],
    );
  });

  it('schedules each nested bundle at max(parent time, its own time)', () => {
    const { clock, calls, s } = setup();
    s.schedule(
      bundle(
        T0 + 100,
        msg('/p1'),
        bundle(T0 + 300, msg('/later')),
        bundle(T0 + 50, msg('/earlier-than-parent')),
        bundle('now', msg('/nested-immediately')),
        bundle(T0 + 100, msg('/same'), bundle(T0 + 200, msg('/deeper'))),
        msg('/p2'),
      ),
    );
    assert.equal(s.stats().waiting, 3);
    clock.advance(1000);
    assert.deepEqual(
      calls.map((c) => [c.at - T0, c.addresses]),
      [
        [100, ['/p1', '/earlier-than-parent', '/nested-immediately', '/same', '/p2']],
        [200, ['/deeper']],
        [300, ['/later']],
      ],
    );
    assert.deepEqual(calls[0].info.timetag, timetagFromMillis(T0 + 100));
    assert.deepEqual(calls[1].info.timetag, timetagFromMillis(T0 + 200));
  });

  it('lets a nested future bundle inside an IMMEDIATELY bundle wait for its own time', () => {
    const { clock, calls, s } = setup();
    s.schedule(bundle('now', msg('/now'), bundle(T0 + 40, msg('/soon')), bundle(T0 - 1000, msg('/past'))));
    assert.deepEqual(
      calls.map((c) => [c.addresses, c.info.late]),
      [[['/now', '/past'], false]],
    );
    clock.advance(40);
    assert.deepEqual(calls[1].addresses, ['/soon']);
  });

  it('refuses a bundle whole when the queue is full, and still lets due bundles through', () => {
    const { clock, calls, s } = setup({ maxQueue: 2 });
    s.schedule(bundle(T0 + 10, msg('/1')));
    // Two future groups would make 3 > 2: nothing of this bundle may stay, not even its due part.
    assert.throws(
      () => s.schedule(bundle('now', msg('/due-part'), bundle(T0 + 20, msg('/2')), bundle(T0 + 30, msg('/3')))),
      (/** @type {any} */ e) => e.code === 'LIMIT_EXCEEDED' && /queue full/.test(e.message),
    );
    assert.equal(calls.length, 0);
    s.schedule(bundle(T0 + 20, msg('/2')));
    assert.throws(() => s.schedule(bundle(T0 + 30, msg('/3'))), { code: 'LIMIT_EXCEEDED' });
    s.schedule(bundle('now', msg('/immediate')));
    s.schedule(bundle(T0 - 5, msg('/past')));
    assert.deepEqual(s.stats().rejected, 2);
    clock.advance(100);
    assert.deepEqual(
      calls.map((c) => c.addresses[0]),
      ['/immediate', '/past', '/1', '/2'],
    );
  });

  it('refuses a bundle beyond the horizon instead of holding it', () => {
    const { clock, s } = setup({ maxHorizonMs: 60000 });
    s.schedule(bundle(T0 + 60000, msg('/edge')));
    assert.throws(
      () => s.schedule(bundle(T0 + 60001, msg('/far'))),
      (/** @type {any} */ e) => e.code === 'BAD_TIMETAG' && /horizon/.test(e.message),
    );
    assert.throws(() => s.schedule(bundle(T0, msg('/a'), bundle(T0 + 3600000, msg('/nested-far')))), {
      code: 'BAD_TIMETAG',
    });
    assert.equal(s.stats().waiting, 1);
    assert.equal(s.stats().rejected, 2);
    assert.equal(clock.pending, 1);
  });

  it('refuses an invalid timetag with BAD_TIMETAG', () => {
    const { s } = setup();
    assert.throws(() => s.schedule({ timetag: { seconds: -1, fraction: 0 }, packets: [msg('/a')] }), {
      code: 'BAD_TIMETAG',
    });
    assert.equal(s.stats().rejected, 1);
  });

  it('keeps a single timer, moved earlier when an earlier bundle arrives', () => {
    const { clock, calls, s } = setup();
    s.schedule(bundle(T0 + 500, msg('/late')));
    s.schedule(bundle(T0 + 100, msg('/early')));
    assert.equal(clock.pending, 1);
    clock.advance(100);
    assert.deepEqual(
      calls.map((c) => c.addresses[0]),
      ['/early'],
    );
    assert.equal(clock.pending, 1);
    assert.equal(s.stats().nextDue, T0 + 500);
  });

  it('close() clears the timer and discards what waits; nothing is emitted afterwards', () => {
    const { clock, calls, s } = setup();
    s.schedule(bundle(T0 + 100, msg('/a')));
    s.schedule(bundle(T0 + 200, msg('/b')));
    assert.equal(s.close(), 2);
    assert.equal(clock.pending, 0);
    clock.advance(1000);
    assert.equal(calls.length, 0);
    assert.equal(s.closed, true);
    assert.throws(() => s.schedule(msg('/x')), /after close/);
    assert.equal(s.close(), 0);
  });

  it('goes on after an onDue exception: to onError when given, else rethrown after the due groups', () => {
    const errors = [];
    const clock = fakeClock();
    const seen = [];
    const s = new BundleScheduler({
      clock,
      onDue: (m) => {
        seen.push(m[0].address);
        if (m[0].address === '/boom') throw new Error('boom');
      },
      onError: (e) => errors.push(/** @type {Error} */ (e).message),
    });
    s.schedule(bundle(T0 + 10, msg('/boom')));
    s.schedule(bundle(T0 + 10, msg('/after')));
    clock.advance(10);
    assert.deepEqual(seen, ['/boom', '/after']);
    assert.deepEqual(errors, ['boom']);

    const seen2 = [];
    const s2 = new BundleScheduler({
      onDue: (m) => {
        seen2.push(m[0].address);
        if (m[0].address === '/boom') throw new Error('boom');
      },
      clock: fakeClock(),
    });
    s2.schedule(bundle(T0 + 50, msg('/later')));
    assert.throws(() => s2.schedule(bundle('now', msg('/boom'))), /boom/);
    assert.equal(s2.stats().waiting, 1, 'the waiting group survives and its timer is armed');
  });

  it('accepts schedule() from inside onDue', () => {
    const clock = fakeClock();
    const seen = [];
    const s = new BundleScheduler({
      clock,
      onDue: (m) => {
        seen.push(m[0].address);
        if (m[0].address === '/first') s.schedule(bundle(clock.now() + 5, msg('/chained')));
      },
    });
    s.schedule(bundle(T0 + 10, msg('/first')));
    clock.advance(100);
    assert.deepEqual(seen, ['/first', '/chained']);
  });

  it('validates its options', () => {
    const onDue = () => {};
    assert.throws(() => new BundleScheduler(/** @type {any} */ ({})), TypeError);
    assert.throws(() => new BundleScheduler({ onDue, latePolicy: /** @type {any} */ ('skip') }), RangeError);
    assert.throws(() => new BundleScheduler({ onDue, maxQueue: -1 }), RangeError);
    assert.throws(() => new BundleScheduler({ onDue, maxQueue: 1.5 }), RangeError);
    assert.throws(() => new BundleScheduler({ onDue, lateToleranceMs: NaN }), RangeError);
  });

  it('emits every message exactly once, in due order, never before due (property)', () => {
    const item = fc.record({ offset: fc.integer({ min: -100, max: 1000 }), n: fc.integer({ min: 1, max: 3 }) });
    fc.assert(
      fc.property(
        fc.array(item, { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 10 }),
        (items, steps) => {
          const { clock, calls, s } = setup({ lateToleranceMs: 1e9 });
          let id = 0;
          const all = [];
          for (const it of items) {
            const msgs = [];
            for (let k = 0; k < it.n; k++) {
              const address = `/m${id++}`;
              msgs.push(msg(address));
              all.push(address);
            }
            s.schedule(bundle(T0 + it.offset, ...msgs));
            assert.ok(clock.pending <= 1);
          }
          for (const st of steps) clock.advance(st);
          clock.advance(2000);
          assert.deepEqual(calls.flatMap((c) => c.addresses).sort(), all.sort());
          // What was due on arrival goes at once, in arrival order; what waited comes out in due order.
          const waited = calls.filter((c) => c.info.due > T0);
          for (let i = 0; i < calls.length; i++) {
            assert.ok(calls[i].at >= calls[i].info.due);
            if (calls[i].info.due <= T0) assert.equal(calls[i].at, T0);
          }
          for (let i = 1; i < waited.length; i++) assert.ok(waited[i].info.due >= waited[i - 1].info.due);
          assert.equal(clock.pending, 0);
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('on the real clock, emits a bundle 50 ms ahead no earlier than due', async () => {
    const events = new EventEmitter();
    const s = new BundleScheduler({ onDue: (messages, info) => events.emit('due', messages, info, Date.now()) });
    const due = Date.now() + 50;
    const emitted = once(events, 'due');
    s.schedule(bundle(due, msg('/real')));
    const [messages, info, at] = await emitted;
    assert.deepEqual(
      messages.map((m) => m.address),
      ['/real'],
    );
    assert.equal(info.due, due);
    assert.ok(at >= due, `emitted ${due - at} ms early`);
    s.close();
  });
  it('holds a bundle with a sub-millisecond timetag until that very fraction of a millisecond', () => {
    const { clock, calls, s } = setup();
    s.schedule(bundle(T0 + 100.25, msg('/frac')));
    clock.advance(100);
    assert.equal(calls.length, 0, 'not at the whole millisecond before it');
    clock.advance(0.2);
    assert.equal(calls.length, 0);
    clock.advance(0.05);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].at, T0 + 100.25);
    assert.equal(calls[0].info.due, T0 + 100.25);
    // Two groups 0.1 ms apart stay two groups, in order.
    s.schedule(bundle(T0 + 200.1, msg('/b')));
    s.schedule(bundle(T0 + 200, msg('/a')));
    clock.advance(100);
    assert.deepEqual(
      calls.slice(1).map((c) => [c.addresses[0], Math.round((c.at - T0) * 1000)]),
      [
        ['/a', 200000],
        ['/b', 200100],
      ],
    );
  });

  it('reports lateBy in whole milliseconds and decides late on the exact time', () => {
    const { calls, s } = setup({ lateToleranceMs: 20 });
    s.schedule(bundle(T0 - 20.4, msg('/just-late')));
    s.schedule(bundle(T0 - 19.6, msg('/on-time')));
    assert.deepEqual(
      calls.map((c) => [c.addresses[0], c.info.late, c.info.lateBy]),
      [
        ['/just-late', true, 20],
        ['/on-time', false, 20],
      ],
    );
  });

  describe('on the real clock (the default timers)', () => {
    it('releases bundles at sub-millisecond timetags in due order, each no earlier than due on its clock', async () => {
      const released = [];
      const events = new EventEmitter();
      const s = new BundleScheduler({
        onDue: (messages, info) => {
          released.push({ address: messages[0].address, due: info.due, at: wallClockNow() });
          if (released.length === 30) events.emit('done');
        },
      });
      const base = wallClockNow();
      // Some far enough ahead for setTimeout, some inside its last millisecond, some 0.05 ms apart.
      const offsets = Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0 ? 0.5 + i * 0.05 : 5 + ((i * 7919) % 600) / 10 + i / 1000,
      );
      const done = once(events, 'done');
      offsets.forEach((o, i) => s.schedule(bundle(base + o, msg(`/${i}`))));
      await done;
      for (const r of released) assert.ok(r.at >= r.due, `${r.address} released ${(r.due - r.at).toFixed(4)} ms early`);
      const dues = released.map((r) => r.due);
      assert.deepEqual(
        dues,
        [...dues].sort((a, b) => a - b),
      );
      assert.equal(s.stats().waiting, 0);
      s.close();
    });

    it('serves several schedulers at once: each releases all in its due order, none early', async () => {
      const released = [];
      const events = new EventEmitter();
      const make = (_name) =>
        new BundleScheduler({
          onDue: (m, info) => {
            released.push({ name: m[0].address, due: info.due, at: wallClockNow() });
            if (released.length === 12) events.emit('done');
          },
        });
      const a = make('a');
      const b = make('b');
      const base = wallClockNow();
      const done = once(events, 'done');
      for (let i = 0; i < 6; i++) {
        a.schedule(bundle(base + 3 + i * 0.6, msg(`/a${i}`)));
        b.schedule(bundle(base + 3.3 + i * 0.6, msg(`/b${i}`)));
      }
      await done;
      // (Across the two, the order is the due order only if neither is late: a stalled machine makes a run of
      // each due at once, and each hands over its own run together.)
      for (const p of ['/a', '/b']) {
        const own = released.filter((r) => r.name.startsWith(p)).map((r) => r.name);
        assert.deepEqual(
          own,
          [0, 1, 2, 3, 4, 5].map((i) => `${p}${i}`),
        );
      }
      for (const r of released) assert.ok(r.at >= r.due, `${r.name} released ${(r.due - r.at).toFixed(4)} ms early`);
      a.close();
      b.close();
    });

    it('moves its final wait to an earlier bundle that arrives during it, and close() ends it', async () => {
      const seen = [];
      const events = new EventEmitter();
      const s = new BundleScheduler({ onDue: (m) => events.emit('due', seen.push(m[0].address)) });
      const base = wallClockNow();
      s.schedule(bundle(base + 1.5, msg('/later'))); // inside the final wait from the start
      s.schedule(bundle(base + 0.7, msg('/earlier')));
      while (seen.length < 2) await once(events, 'due');
      assert.deepEqual(seen, ['/earlier', '/later']);

      s.schedule(bundle(wallClockNow() + 1.5, msg('/never')));
      assert.equal(s.close(), 1);
      // Nothing can be awaited for an absence: wait well past the due time.
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(seen, ['/earlier', '/later']);
    });
  });
});

describe('wall clock (sub-millisecond, on the epoch of the timetags)', () => {
  /**
   * A simulated pair of clocks: the monotonic one moves on by `tick` ms at each reading; the wall clock is the
   * monotonic one plus an offset that can be set (a step) or wobble; Date.now() is the wall time rounded down.
   */
  function clocks(offset, tick = 0.00037) {
    const c = { mono: 1000, offset, reads: 0 };
    c.wall = () => c.mono + c.offset;
    c.dateNow = () => Math.floor(c.wall());
    c.monotonicNow = () => {
      c.reads++;
      return (c.mono += tick);
    };
    return c;
  }

  it('reads the wall clock to a few microseconds and never ahead of it', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.0001, max: 0.05, noNaN: true }),
        (frac, tick) => {
          const c = clocks(T0 + frac, tick);
          const now = createWallClock(c.dateNow, c.monotonicNow);
          for (let i = 0; i < 200; i++) {
            const t = now();
            assert.ok(t <= c.wall(), `ahead by ${t - c.wall()} ms`);
            // Calibrated on the first reading: behind by no more than the span of two readings (+ the one in flight).
            assert.ok(c.wall() - t <= 4 * tick + 1e-9, `behind by ${c.wall() - t} ms (tick ${tick})`);
          }
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('follows the wall clock when it is set forward or back, and does not run backwards for a wobble', () => {
    const c = clocks(T0 + 0.5);
    const now = createWallClock(c.dateNow, c.monotonicNow);
    now();
    c.offset += 3600000; // NTP sets the clock of a Raspberry Pi that started in the past
    let t = now();
    assert.ok(t <= c.wall() && c.wall() - t < 1, `after a step forward: ${c.wall() - t}`);
    c.offset -= 7200000.25; // and back
    t = now();
    assert.ok(t <= c.wall() && c.wall() - t < 1, `after a step back: ${c.wall() - t}`);
    for (let i = 0; i < 5000; i++) now(); // readings across several ticks of Date.now() make it exact again
    assert.ok(c.wall() - now() < 0.01);
    // A wobble of a few microseconds backwards between the two clocks: time stands still instead of going back.
    const before = now();
    c.offset -= 0.004;
    for (let i = 0; i < 3000; i++) assert.ok(now() >= before);
  });

  it('is the wall clock of Date.now(), with fractions of a millisecond', () => {
    const fractions = new Set();
    const until = Date.now() + 3;
    while (Date.now() < until) {
      const d1 = Date.now();
      const t = wallClockNow();
      const d2 = Date.now();
      assert.ok(t >= d1 && t < d2 + 1, `${t} outside [${d1}, ${d2 + 1})`);
      fractions.add(Math.floor((t % 1) * 10));
    }
    assert.ok(fractions.size > 3, `only ${fractions.size} distinct tenths of a millisecond`);
  });
});
