'use strict';
// What osc-in and osc-out show and say about their endpoint, without Node-RED: the endpoint's words from the
// catalogue (EndpointWords), the status lines (inStatus, outStatus) and the reports on a state change
// (EndpointReports), with fake endpoints.
const assert = require('node:assert/strict');
const { EndpointError } = require('../dist/transport/endpoint');
const { EndpointWords } = require('../dist/nodes/endpoint-words');
const { EndpointReports } = require('../dist/nodes/report');
const { inStatus, outStatus } = require('../dist/nodes/status');
const { Texts } = require('../dist/nodes/texts');

const inTexts = new Texts('osc-in');
const outTexts = new Texts('osc-out');
const inWords = new EndpointWords(inTexts);
const outWords = new EndpointWords(outTexts);

const COUNTERS = { rejected: 0, lastRejected: undefined, kernelDrops: undefined, refusals: 0, peers: undefined };
/**
 * A fake endpoint in `state`, whose status() has `key`, `params` and `text`: only what the status lines and the
 * reports read of an Endpoint.
 * @param {{ state?: string, key?: string, params?: object, text?: string, error?: EndpointError,
 *   retrying?: boolean, unreachable?: boolean, counters?: object, label?: string }} [fake]
 * @returns {any}
 */
function endpoint({
  state = 'open',
  key = 'listening',
  params = { label: '0.0.0.0:9000' },
  text = 'listening on 0.0.0.0:9000',
  error,
  retrying = false,
  unreachable = false,
  counters = {},
  label = '0.0.0.0:9000',
} = {}) {
  return {
    state,
    label,
    error,
    status: () => ({ state, key, params, text, retrying, unreachable, counters: { ...COUNTERS, ...counters } }),
  };
}
const inUse = () =>
  new EndpointError('EADDRINUSE', 'English words', 'English short', 'EADDRINUSE.udp', {
    where: '0.0.0.0:9000',
    address: '0.0.0.0',
    port: 9000,
  });

describe("an endpoint's words (EndpointWords)", () => {
  it('words an error, its short form and a status from the catalogue, with the params the endpoint gave', () => {
    const e = inUse();
    assert.equal(
      inWords.message(e),
      'cannot listen on 0.0.0.0:9000: port 9000 is already in use by another program or node (EADDRINUSE)',
    );
    assert.equal(inWords.short(e), 'port 9000 in use');
    assert.equal(
      inWords.status(/** @type {any} */ ({ key: 'listening', params: { label: '127.0.0.1:1' }, text: 'x' }), undefined),
      'listening on 127.0.0.1:1',
    );
    assert.equal(inWords.status(/** @type {any} */ ({ key: 'failed', params: {}, text: 'x' }), e), 'port 9000 in use');
    assert.equal(
      inWords.status(
        /** @type {any} */ ({ key: 'listeningTcp', params: { label: 'h:1', clients: 1 }, text: 'x' }),
        undefined,
      ),
      'listening on tcp h:1 · 1 client',
    );
    assert.equal(
      inWords.status(
        /** @type {any} */ ({ key: 'listeningTcp', params: { label: 'h:1', clients: 2 }, text: 'x' }),
        undefined,
      ),
      'listening on tcp h:1 · 2 clients',
    );
  });

  it('words a retry with the reason in its own words and the delay the endpoint gave', () => {
    const refused = new EndpointError('ECONNREFUSED', 'English', 'English short', 'ECONNREFUSED.tcp', {
      where: 'h:1',
      host: 'h',
      port: 1,
      retryInS: 2.5,
    });
    assert.equal(inWords.message(refused), 'connection to h:1 refused (is the OSC server running?); retrying in 2.5 s');
    assert.equal(
      inWords.status(
        /** @type {any} */ ({ key: 'retrying', params: { reason: 'English short', label: 'h:1' }, text: 'x' }),
        refused,
      ),
      'refused · retrying h:1',
    );
  });

  it("keeps the endpoint's English where the catalogue has no text, and words a system-chosen code's case (OTHER)", () => {
    const unknown = new EndpointError(
      'EWHATEVER',
      'the English sentence',
      'the English short',
      'EWHATEVER.notInTheCatalogue',
      {},
    );
    assert.equal(inWords.message(unknown), 'the English sentence');
    assert.equal(inWords.short(unknown), 'the English short');
    const sys = new EndpointError('ENETDOWN', 'English', 'English short', 'OTHER.udpSocket', {
      code: 'ENETDOWN',
      label: 'h:1',
      detail: 'network is down',
    });
    assert.equal(inWords.message(sys), 'socket error on h:1: network is down');
    assert.equal(inWords.short(sys), 'socket error ENETDOWN');
    assert.equal(
      inWords.status(/** @type {any} */ ({ key: 'noSuchKey', params: {}, text: 'as the endpoint says' }), undefined),
      'as the endpoint says',
    );
  });
});

describe('osc-in status (inStatus)', () => {
  const counters = (o = {}) => ({ received: 0, errors: { count: 0, lastCode: '' }, ...o });

  it('is yellow while opening, red when the endpoint cannot receive', () => {
    assert.deepEqual(inStatus(inTexts, inWords, endpoint({ state: 'opening', key: 'opening' }), counters(), 0), {
      fill: 'yellow',
      shape: 'ring',
      text: 'opening 0.0.0.0:9000',
    });
    assert.deepEqual(
      inStatus(inTexts, inWords, endpoint({ state: 'failed', key: 'failed', error: inUse() }), counters(), 0),
      { fill: 'red', shape: 'ring', text: 'port 9000 in use' },
    );
    assert.deepEqual(
      inStatus(inTexts, inWords, endpoint({ state: 'closed', key: 'closed', params: {} }), counters(), 0),
      { fill: 'red', shape: 'ring', text: 'closed' },
    );
  });

  it('adds what arrived, what waits and was late, what was bad, and what the endpoint refused or the OS dropped', () => {
    const now = 1000000;
    const scheduled = { stats: () => ({ waiting: 2, nextDue: now + 2500, dropped: 0, late: 3 }) };
    const ep = endpoint({ counters: { rejected: 4, kernelDrops: 5 } });
    assert.deepEqual(
      inStatus(
        inTexts,
        inWords,
        ep,
        counters({ received: 7, errors: { count: 1, lastCode: 'BAD_SIZE' }, scheduled }),
        now,
      ),
      {
        fill: 'green',
        shape: 'dot',
        text: 'listening on 0.0.0.0:9000 · 7 in · 2 waiting (next in 2.5 s) · 3 late · 1 bad (BAD_SIZE) · 4 not allowed · 5 dropped by OS',
      },
    );
    const dropping = { stats: () => ({ waiting: 1, nextDue: now + 42000, dropped: 2, late: 3 }) };
    assert.equal(
      inStatus(inTexts, inWords, endpoint({ error: inUse() }), counters({ scheduled: dropping }), now).text,
      'listening on 0.0.0.0:9000 · 1 waiting (next in 42 s) · 2 late dropped · port 9000 in use',
    );
  });
});

describe('osc-out status (outStatus)', () => {
  const c = (o = {}) => ({ sent: 0, failed: 0, lastCode: '', ...o });
  const sending = (o = {}) => endpoint({ key: 'sendingFrom', params: { label: '0.0.0.0:41000' }, ...o });

  it('shows where it sends, not its own source port, and counts what was sent and failed', () => {
    assert.deepEqual(outStatus(outTexts, outWords, sending(), '127.0.0.1:9001', c()), {
      fill: 'green',
      shape: 'dot',
      text: '→ 127.0.0.1:9001',
    });
    assert.deepEqual(outStatus(outTexts, outWords, sending(), '127.0.0.1:9001', c({ sent: 12 })), {
      fill: 'green',
      shape: 'dot',
      text: '→ 127.0.0.1:9001 · 12 sent',
    });
    assert.deepEqual(
      outStatus(outTexts, outWords, sending(), 'msg.ip', c({ sent: 1, failed: 2, lastCode: 'NO_ADDRESS' })),
      { fill: 'yellow', shape: 'dot', text: '→ msg.ip · 1 sent · 2 failed (NO_ADDRESS)' },
    );
  });

  it('over TCP (no destination of its own) shows the connection', () => {
    const tcp = endpoint({ key: 'connected', params: { label: '10.0.0.5:53000' } });
    assert.deepEqual(outStatus(outTexts, outWords, tcp, undefined, c({ sent: 3 })), {
      fill: 'green',
      shape: 'dot',
      text: 'connected to 10.0.0.5:53000 · 3 sent',
    });
  });

  it('is red when the endpoint failed or nothing listens at the fixed destination', () => {
    assert.deepEqual(
      outStatus(outTexts, outWords, sending({ state: 'failed', key: 'failed', error: inUse() }), '127.0.0.1:9001', c()),
      { fill: 'red', shape: 'ring', text: 'port 9000 in use' },
    );
    assert.deepEqual(outStatus(outTexts, outWords, sending({ unreachable: true }), '127.0.0.1:9001', c({ sent: 2 })), {
      fill: 'red',
      shape: 'ring',
      text: 'receiver 127.0.0.1:9001 unreachable · 2 sent',
    });
    assert.deepEqual(
      outStatus(
        outTexts,
        outWords,
        sending({ state: 'opening', key: 'opening', params: { label: '0.0.0.0:0' } }),
        '127.0.0.1:9001',
        c(),
      ),
      { fill: 'yellow', shape: 'ring', text: 'opening 0.0.0.0:0' },
    );
  });
});

/**
 * A node as EndpointReports reports to it, recording every error and warning.
 * @typedef {{ errors: any[], warnings: string[], error: (report: any, msg?: any) => void, warn: (text: string) => void }} Target
 */

describe("reports on an endpoint's state (EndpointReports)", () => {
  const target = () => {
    const t = /** @type {Target} */ ({ errors: [], warnings: [] });
    t.error = (report, msg) => t.errors.push({ report, msg });
    t.warn = (text) => t.warnings.push(text);
    return t;
  };

  it('an endpoint that cannot open is an error for Catch nodes, naming the endpoint; a connection being retried a warning', () => {
    const t = target();
    const r = new EndpointReports(t, inWords, inTexts);
    r.stateChanged(endpoint({ state: 'failed', key: 'failed', error: inUse() }));
    assert.equal(
      String(t.errors[0].report),
      'cannot listen on 0.0.0.0:9000: port 9000 is already in use by another program or node (EADDRINUSE)',
    );
    assert.equal(t.errors[0].report.code, 'EADDRINUSE');
    assert.deepEqual(t.errors[0].msg, { endpoint: '0.0.0.0:9000' }, 'a msg: what makes node.error reach Catch nodes');
    const refused = new EndpointError('ECONNREFUSED', 'English', 'refused', 'ECONNREFUSED.tcp', {
      where: 'h:1',
      host: 'h',
      port: 1,
    });
    r.stateChanged(endpoint({ state: 'failed', key: 'retrying', error: refused, retrying: true }));
    assert.deepEqual(t.warnings, ['connection to h:1 refused (is the OSC server running?)']);
    assert.equal(t.errors.length, 1);
  });

  it('reports a failure once: not again while the endpoint stays failed the same way, again after it opened', () => {
    const t = target();
    const r = new EndpointReports(t, inWords, inTexts);
    const failed = () => endpoint({ state: 'failed', key: 'failed', error: inUse() });
    r.stateChanged(failed());
    r.stateChanged(failed());
    assert.equal(t.errors.length, 1);
    const bad = new EndpointError('EINVAL', 'English', 'bad TTL', 'EINVAL.ttl', { ttl: '300' });
    r.stateChanged(endpoint({ state: 'failed', key: 'failed', error: bad }));
    assert.deepEqual(
      t.errors.map((e) => e.report.code),
      ['EADDRINUSE', 'EINVAL'],
      'another failure is reported',
    );
    r.stateChanged(endpoint({}));
    r.stateChanged(failed());
    assert.deepEqual(
      t.errors.map((e) => e.report.code),
      ['EADDRINUSE', 'EINVAL', 'EADDRINUSE'],
      'failing again after it opened is news',
    );
  });

  it('an error while open is a warning; a receiver gone and back, one warning each', () => {
    const t = target();
    const r = new EndpointReports(t, outWords, outTexts);
    const gone = new EndpointError('ECONNREFUSED', 'English', 'receiver unreachable', 'ECONNREFUSED.udp', {
      to: '127.0.0.1:9001',
    });
    r.stateChanged(endpoint({ error: gone, unreachable: true }));
    r.stateChanged(endpoint({}));
    const sockErr = new EndpointError('EIO', 'English', 'x', 'OTHER.udpSocket', {
      code: 'EIO',
      label: 'h:1',
      detail: 'i/o error',
    });
    r.stateChanged(endpoint({ error: sockErr }));
    assert.deepEqual(t.warnings, [
      'receiver 127.0.0.1:9001 unreachable: nothing is listening on that port (the system answered "port unreachable")',
      'receiver 127.0.0.1:9001 reachable again',
      'socket error on h:1: i/o error',
    ]);
    assert.equal(t.errors.length, 0);
  });
});
