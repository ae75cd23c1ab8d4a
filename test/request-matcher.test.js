'use strict';
// The request/reply matcher of osc-request, without sockets or Node-RED: FIFO per peer and reply address, patterns,
// one timer for every waiting request, retries, the limit, and nothing left behind.
const assert = require('node:assert/strict');
const { RequestMatcher, RequestError } = require('../dist/request/matcher');

/**
 * @typedef {import('../dist/request/matcher').MatcherOptions<any>} MatcherOptions
 * @typedef {Omit<RequestMatcher<any>, never> & {
 *   events: any[],
 *   timeoutsReached: (n: number) => Promise<void>,
 *   options: MatcherOptions,
 * }} Recorder
 *   The matcher with the test's handles on it; `options` is the matcher's own (private), which a test changes.
 */

/**
 * A matcher whose timeouts and retries are recorded, with a promise for the next n timeouts.
 * @param {Partial<MatcherOptions>} [options]
 * @returns {Recorder}
 */
function recorder(options = {}) {
  const events = [];
  let want = 0;
  let wake;
  const matcher = new RequestMatcher({
    timeoutMs: 1000,
    onRetry: (item, attempt) => events.push({ type: 'retry', item, attempt, at: performance.now() }),
    onTimeout: (item, sends) => {
      events.push({ type: 'timeout', item, sends, at: performance.now() });
      if (wake && events.filter((e) => e.type === 'timeout').length >= want) wake();
    },
    onBusy: (busy) => events.push({ type: 'busy', busy }),
    ...options,
  });
  const m = /** @type {Recorder} */ (/** @type {unknown} */ (matcher));
  m.events = events;
  m.timeoutsReached = (n) => {
    want = n;
    return new Promise((resolve) => {
      wake = resolve;
      if (events.filter((e) => e.type === 'timeout').length >= n) resolve();
    });
  };
  return m;
}

const activeTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('request matcher', () => {
  it('gives each reply to the oldest request waiting for that peer and address, first in first out', () => {
    const m = recorder();
    m.add('10.0.0.5|10023', '/ch/01/mix/fader', 'first');
    m.add('10.0.0.5|10023', '/ch/01/mix/fader', 'second');
    m.add('10.0.0.5|10023', '/ch/02/mix/fader', 'other fader');
    assert.equal(m.size, 3);
    assert.equal(m.take('10.0.0.5|10023', '/ch/01/mix/fader').item, 'first');
    assert.equal(m.take('10.0.0.5|10023', '/ch/01/mix/fader').item, 'second');
    assert.equal(m.take('10.0.0.5|10023', '/ch/01/mix/fader'), undefined, 'answered requests wait no more');
    assert.equal(m.take('10.0.0.5|10023', '/ch/02/mix/fader').item, 'other fader');
    assert.equal(m.size, 0);
    assert.equal(m.answered, 3);
  });

  it('takes a reply only from the peer the request went to, and only on its address', () => {
    const m = recorder();
    m.add('10.0.0.5|10023', '/status.reply', 'a');
    assert.equal(m.take('10.0.0.6|10023', '/status.reply'), undefined, 'another host');
    assert.equal(m.take('10.0.0.5|10024', '/status.reply'), undefined, 'another port');
    assert.equal(m.take('10.0.0.5|10023', '/status'), undefined, 'another address');
    assert.equal(m.take('10.0.0.5|10023', '/status.reply/x'), undefined);
    assert.equal(m.size, 1);
    const hit = m.take('10.0.0.5|10023', '/status.reply');
    assert.equal(hit.item, 'a');
    assert.equal(hit.sends, 1);
    assert.ok(hit.rttMs >= 0 && hit.rttMs < 1000, `rtt ${hit.rttMs}`);
    assert.equal(m.lastRttMs, hit.rttMs);
    m.clear();
  });

  it('matches pattern replies, and picks the oldest request across literal and pattern queues', () => {
    const m = recorder();
    m.add('p', '/reply/cue/*/name', 'pattern, older');
    m.add('p', '/reply/cue/7/name', 'literal, newer');
    m.add('p', '/reply/cue/{1,2}/name', 'another pattern, newest');
    assert.equal(m.take('p', '/reply/cue/7/name').item, 'pattern, older');
    assert.equal(m.take('p', '/reply/cue/7/name').item, 'literal, newer');
    assert.equal(m.take('p', '/reply/cue/7/name'), undefined, 'the last pattern does not match 7');
    assert.equal(m.take('p', '/reply/cue/2/name').item, 'another pattern, newest');
    assert.equal(m.take('q', '/reply/cue/3/name'), undefined);
    assert.equal(m.size, 0);
    assert.equal(m.peerCount, 0);
  });

  it('refuses a request beyond maxPending with LIMIT_EXCEEDED, and accepts again once one is answered', () => {
    const m = recorder({ maxPending: 2 });
    m.add('p', '/a', 1);
    m.add('p', '/a', 2);
    assert.throws(
      () => m.add('p', '/a', 3),
      (e) => e instanceof RequestError && e.code === 'LIMIT_EXCEEDED' && /at most 2/.test(e.message),
    );
    assert.equal(m.size, 2);
    m.take('p', '/a');
    m.add('p', '/a', 3);
    assert.deepEqual(m.clear(), [2, 3], 'clear returns what waited, oldest first');
  });

  it('refuses an invalid reply pattern and invalid options', () => {
    const m = recorder();
    assert.throws(
      () => m.add('p', '/a/[b', 1),
      (/** @type {any} */ e) => e.code === 'BAD_PATTERN',
    );
    assert.equal(m.size, 0);
    assert.equal(m.timerArmed, false);
    for (const bad of [
      { timeoutMs: 0 },
      { timeoutMs: NaN },
      { timeoutMs: 2 ** 31 },
      { retries: -1 },
      { retries: 1.5 },
      { maxPending: 0 },
    ]) {
      assert.throws(
        () => new RequestMatcher({ timeoutMs: 100, onTimeout() {}, ...bad }),
        RangeError,
        JSON.stringify(bad),
      );
    }
  });

  it('cancels a request whose send failed: not answered, not timed out, cancelled once', async () => {
    const m = recorder({ timeoutMs: 20 });
    const w = m.add('p', '/a', 'cancelled');
    m.add('p', '/a', 'kept');
    assert.equal(w.item, 'cancelled');
    assert.equal(m.cancel(w), true);
    assert.equal(m.cancel(w), false);
    assert.equal(m.take('p', '/a').item, 'kept');
    m.add('p', '/b', 'times out');
    await m.timeoutsReached(1);
    assert.deepEqual(
      m.events.filter((e) => e.type === 'timeout').map((e) => e.item),
      ['times out'],
    );
  });

  it('times each request out once, in the order sent, never before its timeout', async () => {
    const m = recorder({ timeoutMs: 30 });
    const start = performance.now();
    for (let i = 0; i < 5; i++) m.add('p', `/a/${i % 2}`, i);
    await m.timeoutsReached(5);
    const timeouts = m.events.filter((e) => e.type === 'timeout');
    assert.deepEqual(
      timeouts.map((e) => e.item),
      [0, 1, 2, 3, 4],
    );
    for (const t of timeouts) {
      assert.equal(t.sends, 1);
      assert.ok(t.at - start >= 29, `timed out after ${t.at - start} ms`);
    }
    assert.equal(m.timeouts, 5);
    assert.equal(m.take('p', '/a/0'), undefined, 'a reply after the timeout finds nobody');
    assert.deepEqual(
      m.events.filter((e) => e.type === 'busy').map((e) => e.busy),
      [true, false],
    );
    assert.equal(m.timerArmed, false);
  });

  it('resends a request `retries` times, each after a full timeout, then times it out', async () => {
    const m = recorder({ timeoutMs: 25, retries: 2 });
    const start = performance.now();
    m.add('p', '/a', 'x');
    await m.timeoutsReached(1);
    const [r1, r2, t] = m.events.filter((e) => e.type !== 'busy');
    assert.deepEqual(
      [r1.type, r1.attempt, r2.type, r2.attempt, t.type, t.sends],
      ['retry', 1, 'retry', 2, 'timeout', 3],
    );
    assert.ok(
      r1.at - start >= 24 && r2.at - r1.at >= 24 && t.at - r2.at >= 24,
      `waits ${r1.at - start}, ${r2.at - r1.at}, ${t.at - r2.at}`,
    );
  });

  it('measures the round trip from the last send, and a retried request can still be answered', async () => {
    const m = recorder({ timeoutMs: 25, retries: 1 });
    m.add('p', '/a', 'x');
    await new Promise((resolve) => {
      m.options.onRetry = () => resolve();
    });
    const hit = m.take('p', '/a');
    assert.equal(hit.sends, 2);
    assert.ok(hit.rttMs < 25, `rtt ${hit.rttMs} counts from the resend`);
    assert.equal(m.timerArmed, false);
  });

  it('serves a thousand waiting requests with one timer, and leaves nothing once they timed out', async () => {
    await new Promise(setImmediate); // past mocha's own timer for this test, which it arms once the test returns
    const before = activeTimers();
    const m = recorder({ timeoutMs: 40, maxPending: 1000 });
    for (let i = 0; i < 1000; i++) m.add(`10.0.0.${i % 7}|9000`, `/fader/${i % 13}`, i);
    assert.equal(activeTimers(), before + 1, 'one timer for all of them');
    await m.timeoutsReached(1000);
    assert.deepEqual(
      m.events.filter((e) => e.type === 'timeout').map((e) => e.item),
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assert.equal(m.size, 0);
    assert.equal(m.peerCount, 0);
    assert.equal(m.timerArmed, false);
    assert.equal(activeTimers(), before);
  });

  it('lets a timeout callback add, take and clear requests', async () => {
    const m = recorder({ timeoutMs: 20 });
    const called = new Promise((resolve) => {
      m.options.onTimeout = (item) => {
        m.add('p', '/a', 'added from the callback');
        resolve(item);
      };
    });
    m.add('p', '/a', 'first');
    assert.equal(await called, 'first');
    assert.equal(m.size, 1);
    assert.equal(m.take('p', '/a').item, 'added from the callback');
    assert.equal(m.timerArmed, false);
  });
});
