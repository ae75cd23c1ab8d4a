'use strict';
// The bundle scheduler on a fake clock (ordering, nesting, policies, limits) and once on the real clock.
const assert = require('node:assert/strict');
const { once, EventEmitter } = require('node:events');
const fc = require('fast-check');
const { BundleScheduler } = require('../dist/osc/scheduler');
const { timetagFromMillis, IMMEDIATELY } = require('../dist/osc/timetag');

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
});
