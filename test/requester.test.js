'use strict';
// osc-request's requester without Node-RED, over a stand-in endpoint: what it sends for a msg, which replies it
// takes, the msg it gives back, its errors, QLab's JSON, and that nothing is kept once requests have ended.
const assert = require('node:assert/strict');
const v8 = require('node:v8');
const vm = require('node:vm');
const { encodePacket, decodePacket } = require('../dist/osc/codec');
const { OscRequester, requestOptionsFromConfig } = require('../dist/nodes/requester');
const { parseQlabReply, qlabReplyError } = require('../dist/request/qlab');

/**
 * @typedef {import('../dist/transport/endpoint').EndpointState} EndpointState
 * @typedef {import('../dist/nodes/requester').RequestTransport} RequestTransport
 * @typedef {ReturnType<typeof fakeLink>} FakeLink
 * @typedef {Omit<OscRequester, never> & { link: FakeLink, problems: string[] }} TestRequester
 *   The requester with the test's handles on it: its (otherwise private) link, and its config problems.
 */

/** An endpoint that records sends and delivers packets as the real ones do: interceptor first, then receivers. */
function fakeLink({ maxPacket = 65507, failSends = null } = {}) {
  const link = {
    sent: [],
    interceptor: undefined,
    interceptorChanges: 0,
    received: [],
    endpoint: {
      state: /** @type {EndpointState} */ ('open'),
      error: undefined,
      label: '127.0.0.1:5000',
      maxPacket,
      // As an Endpoint's status(): the state it has now, in words and by key.
      /** @returns {import('../dist/transport/endpoint').EndpointStatus} */
      status() {
        const open = link.endpoint.state === 'open';
        /** @type {{ text: string, key: import('../dist/transport/endpoint').EndpointStatusKey }} */
        const words = open ? { text: 'from 127.0.0.1:5000', key: 'sendingFrom' } : { text: 'failed', key: 'failed' };
        return {
          state: link.endpoint.state,
          ...words,
          params: { label: '127.0.0.1:5000' },
          retrying: false,
          unreachable: false,
          counters: /** @type {any} */ ({}),
        };
      },
    },
    waiters: [],
    send(data, port, host, cb) {
      link.sent.push({ packet: decodePacket(data), bytes: Buffer.from(data), port, host });
      process.nextTick(cb, failSends);
      link.waiters = link.waiters.filter((w) => !(link.sent.length >= w.n && (w.resolve(), true)));
    },
    /** Resolves once n packets have been sent. */
    sends(n) {
      return new Promise((resolve) => (link.sent.length >= n ? resolve() : link.waiters.push({ n, resolve })));
    },
    intercept(fn) {
      link.interceptor = fn;
      link.interceptorChanges++;
    },
    /** A packet from address:port; true when the requester consumed it. */
    deliver(packet, address = '127.0.0.1', port = 9000) {
      const data = encodePacket(packet);
      const consumed =
        link.interceptor !== undefined && link.interceptor(data, { address, port, family: 'IPv4', size: data.length });
      if (!consumed) link.received.push(packet);
      return consumed;
    },
  };
  return link;
}

/**
 * @param {import('../dist/nodes/requester').RequestConfig} [config]
 * @param {RequestTransport} [transport]
 * @param {FakeLink} [link]
 * @returns {TestRequester}
 */
function requester(config = {}, transport = 'udp', link = fakeLink()) {
  const { options, problems } = requestOptionsFromConfig(config, transport, 4);
  const r = /** @type {TestRequester} */ (/** @type {unknown} */ (new OscRequester(options)));
  r.use(link);
  r.link = link;
  r.problems = problems;
  return r;
}

/** Sends a request; resolves with { err, reply } once its callback is called. */
function ask(r, msg) {
  return new Promise((resolve) => r.request(msg, (err, reply) => resolve({ err, reply })));
}

const nextTick = () => new Promise((resolve) => setImmediate(resolve));

describe('requester (osc-request without Node-RED)', () => {
  describe('what it sends', () => {
    it("sends the msg as osc out would, to the node's host and port, else msg.ip and msg.port", async () => {
      const r = requester({ host: '127.0.0.1', port: '9000' });
      r.request({ topic: '/ch/01/mix/fader', payload: [] }, () => {});
      r.request({ topic: '/a', payload: [1, 2.5, 'x'], ip: '10.9.9.9', port: 1 }, () => {});
      const s = requester({});
      s.request({ payload: '/b 3', ip: '127.0.0.1', port: 9001 }, () => {});
      await nextTick();
      assert.deepEqual(
        r.link.sent.map((x) => [x.host, x.port]),
        [
          ['127.0.0.1', 9000],
          ['127.0.0.1', 9000],
        ],
        'configured values win',
      );
      assert.deepEqual(r.link.sent[0].packet, { address: '/ch/01/mix/fader', args: [] });
      assert.deepEqual(
        r.link.sent[1].packet.args.map((a) => a.type),
        ['i', 'f', 's'],
      );
      assert.deepEqual(
        [s.link.sent[0].host, s.link.sent[0].port, s.link.sent[0].packet.address],
        ['127.0.0.1', 9001, '/b'],
      );
      r.close();
      s.close();
    });

    it('refuses what cannot be a request, with the codes osc out uses, and counts it as failed', async () => {
      const r = requester({});
      /** @type {Array<[object, string, RegExp]>} */
      const cases = [
        [{ topic: '/a' }, 'NO_DESTINATION', /no destination host/],
        [{ topic: '/a', ip: '127.0.0.1' }, 'NO_DESTINATION', /no msg\.port/],
        [{ topic: '/a', ip: '127.0.0.1', port: 70000 }, 'NO_DESTINATION', /msg\.port 70000/],
        [{ payload: 1, ip: '127.0.0.1', port: 9000 }, 'NO_ADDRESS', /no OSC address/],
        [{ topic: '/a/[b', ip: '127.0.0.1', port: 9000 }, 'BAD_ADDRESS', /./],
        [{ topic: '/a', payload: 'x', types: ',i', ip: '127.0.0.1', port: 9000 }, 'BAD_TYPE_TAGS', /cannot encode/],
        [
          { topic: '/a', payload: { type: 'i', value: 'x' }, ip: '127.0.0.1', port: 9000 },
          'BAD_ARGUMENT',
          /cannot encode the message \(argument 0\)/,
        ],
        [{ payload: [{ topic: '/a', payload: 1 }], ip: '127.0.0.1', port: 9000 }, 'BAD_REQUEST', /bundle/],
        [{ topic: '/a', reply: '/r/[x', ip: '127.0.0.1', port: 9000 }, 'BAD_ADDRESS', /reply address "\/r\/\[x"/],
      ];
      for (const [msg, code, re] of cases) {
        const { err, reply } = await ask(r, msg);
        assert.equal(reply, undefined);
        assert.equal(err.code, code, JSON.stringify(msg));
        assert.match(err.message, re);
      }
      assert.equal(r.link.sent.length, 0);
      assert.equal(r.stats().failed, cases.length);
      assert.equal(r.link.interceptor, undefined, 'nothing waits, so nothing intercepts');
    });

    it('refuses a packet bigger than the endpoint can send (LIMIT_EXCEEDED)', async () => {
      const r = requester({ host: '127.0.0.1', port: 9000 }, 'udp', fakeLink({ maxPacket: 64 }));
      const { err } = await ask(r, { topic: '/a', payload: 'x'.repeat(100) });
      assert.equal(err.code, 'LIMIT_EXCEEDED');
    });

    it("looks host names up in the endpoint's family, and matches the reply by the address it resolved to", async () => {
      const r = requester({ host: 'localhost', port: 9000 });
      const answered = ask(r, { topic: '/a' });
      const second = ask(r, { topic: '/a', n: 2 });
      await r.link.sends(2);
      assert.deepEqual(
        r.link.sent.map((s) => s.host),
        ['127.0.0.1', '127.0.0.1'],
        'sent to the address, in order',
      );
      assert.equal(r.link.deliver({ address: '/a', args: [] }, '127.0.0.1', 9000), false);
      assert.equal(r.link.deliver({ address: '/a', args: [] }, '127.0.0.1', 9000), false);
      assert.equal((await answered).reply.ip, '127.0.0.1');
      assert.equal((await second).reply.n, 2);
      const third = ask(r, { topic: '/a', ip: 'no-such-host.invalid' });
      await r.link.sends(3);
      assert.equal(r.link.sent[2].host, '127.0.0.1', 'the configured host wins over msg.ip');
      r.link.deliver({ address: '/a', args: [] }, '127.0.0.1', 9000);
      assert.equal((await third).err, null);
      const s = requester({ port: 9000 });
      const { err } = await ask(s, { topic: '/a', ip: 'no-such-host.invalid' });
      assert.match(err.code, /^E[A-Z]+|ENOTFOUND/);
      assert.match(err.message, /cannot resolve no-such-host\.invalid/);
      r.close();
    });

    it('refuses the request beyond maxPending (LIMIT_EXCEEDED), sending nothing for it', async () => {
      const r = requester({ host: '127.0.0.1', port: 9000, maxPending: 2 });
      r.request({ topic: '/a' }, () => {});
      r.request({ topic: '/a' }, () => {});
      const { err } = await ask(r, { topic: '/a' });
      assert.equal(err.code, 'LIMIT_EXCEEDED');
      assert.match(err.message, /2 requests are waiting/);
      assert.equal(r.link.sent.length, 2);
      assert.equal(r.close(), 2);
    });
  });

  describe('what it takes as the reply', () => {
    it("outputs the reply as osc in gives it, keeps the request msg's other properties, adds msg.rtt", async () => {
      const r = requester({ host: '127.0.0.1', port: 9000 });
      assert.equal(r.link.interceptor, undefined, 'no interceptor before a request waits');
      const msg = { topic: '/ch/01/mix/fader', payload: [], types: ',', _msgid: 'm1', cue: { id: 7 } };
      const got = ask(r, msg);
      await nextTick();
      assert.equal(typeof r.link.interceptor, 'function', 'an interceptor while it waits');
      assert.equal(
        r.link.deliver({ address: '/ch/01/mix/fader', args: [{ type: 'f', value: 0.75 }] }),
        false,
        'not consumed unless asked',
      );
      const { err, reply } = await got;
      assert.equal(err, null);
      assert.equal(reply, msg, 'the request msg carries on');
      assert.equal(reply.topic, '/ch/01/mix/fader');
      assert.equal(reply.payload, 0.75);
      assert.deepEqual(reply.osc, { address: '/ch/01/mix/fader', types: ',f', args: [{ type: 'f', value: 0.75 }] });
      assert.deepEqual([reply.ip, reply.port], ['127.0.0.1', 9000]);
      assert.equal(typeof reply.rtt, 'number');
      assert.ok(reply.rtt >= 0 && reply.rtt < 1000);
      assert.deepEqual([reply._msgid, reply.cue], ['m1', { id: 7 }]);
      assert.equal('types' in reply, false, "the request's type tags are not forced onto the reply");
      assert.equal(r.link.interceptor, undefined, 'nothing waits: the endpoint does no request work');
      assert.deepEqual(
        r.link.received.map((p) => p.address),
        ['/ch/01/mix/fader'],
        'osc in still sees the reply',
      );
    });

    it('takes replies only from the peer asked and on the reply address, first in first out', async () => {
      const r = requester({ host: '127.0.0.1', port: 9000, reply: '<address>.reply', consume: true });
      const a = ask(r, { topic: '/status', n: 1 });
      const b = ask(r, { topic: '/status', n: 2 });
      await nextTick();
      assert.equal(
        r.link.deliver({ address: '/status.reply', args: [{ type: 'i', value: 1 }] }, '127.0.0.1', 9001),
        false,
        'other port',
      );
      assert.equal(
        r.link.deliver({ address: '/status.reply', args: [{ type: 'i', value: 1 }] }, '127.0.0.2', 9000),
        false,
        'other host',
      );
      assert.equal(r.link.deliver({ address: '/status', args: [] }), false, 'the request address is not the reply');
      assert.equal(r.link.deliver({ address: '/status.reply', args: [{ type: 'i', value: 10 }] }), true, 'consumed');
      assert.equal(r.link.deliver({ address: '/status.reply', args: [{ type: 'i', value: 20 }] }), true);
      assert.equal(
        r.link.deliver({ address: '/status.reply', args: [{ type: 'i', value: 30 }] }),
        false,
        'a third reply finds nobody',
      );
      assert.deepEqual([(await a).reply.payload, (await b).reply.payload], [10, 20]);
      assert.deepEqual([(await a).reply.n, (await b).reply.n], [1, 2]);
      assert.deepEqual(
        r.link.received.map((p) => p.address),
        ['/status.reply', '/status.reply', '/status', '/status.reply'],
      );
    });

    it('takes the reply address from the node, else msg.reply, else the address sent; <address> stands for it', async () => {
      const r = requester({ host: '127.0.0.1', port: 9000 });
      const synced = ask(r, { topic: '/sync', payload: 42, reply: '/synced' });
      const qlab = ask(r, { topic: '/cue/1/name', reply: '/reply<address>' });
      const same = ask(r, { topic: '/xinfo' });
      const pattern = ask(r, { topic: '/ch/*/mix/fader' });
      await nextTick();
      r.link.deliver({ address: '/ch/05/mix/fader', args: [{ type: 'f', value: 0.5 }] });
      r.link.deliver({ address: '/xinfo', args: [{ type: 's', value: 'X32' }] });
      r.link.deliver({ address: '/reply/cue/1/name', args: [{ type: 's', value: '{}' }] });
      r.link.deliver({ address: '/synced', args: [{ type: 'i', value: 42 }] });
      assert.deepEqual((await synced).reply.payload, 42);
      assert.equal((await qlab).reply.topic, '/reply/cue/1/name');
      assert.equal((await same).reply.payload, 'X32');
      assert.equal((await pattern).reply.topic, '/ch/05/mix/fader', 'a pattern sent is a pattern awaited');
      const fixed = requester({ host: '127.0.0.1', port: 9000, reply: '/done' });
      const f = ask(fixed, { topic: '/notify', reply: '/ignored' });
      await nextTick();
      fixed.link.deliver({ address: '/ignored', args: [] });
      fixed.link.deliver({ address: '/done', args: [{ type: 's', value: '/notify' }] });
      assert.equal((await f).reply.topic, '/done', "the node's reply wins over msg.reply");
    });

    it('answers from a bundle, consuming the bundle only when every message in it was a reply', async () => {
      const r = requester({ host: '127.0.0.1', port: 9000, consume: true });
      const a = ask(r, { topic: '/a' });
      const b = ask(r, { topic: '/b' });
      await nextTick();
      const tt = { seconds: 1, fraction: 0 };
      assert.equal(
        r.link.deliver({
          timetag: tt,
          packets: [
            { address: '/a', args: [] },
            { address: '/other', args: [] },
          ],
        }),
        false,
      );
      assert.deepEqual((await a).reply.osc.timetag, tt);
      assert.equal(r.link.deliver({ timetag: tt, packets: [{ address: '/b', args: [] }] }), true);
      assert.equal((await b).reply.topic, '/b');
      assert.equal(r.link.received.length, 1);
    });

    it('ignores malformed packets (osc in reports them) and keeps waiting', async () => {
      const r = requester({ host: '127.0.0.1', port: 9000, timeout: 5 });
      const a = ask(r, { topic: '/a' });
      await nextTick();
      assert.equal(r.link.interceptor(Buffer.from('/a\0\0garbage'), { address: '127.0.0.1', port: 9000 }), false);
      assert.equal(r.waiting, 1);
      r.link.deliver({ address: '/a', args: [] });
      assert.equal((await a).err, null);
    });
  });

  describe('how requests end without a reply', () => {
    it('times out with TIMEOUT, leaving the request msg as it was, after the retries each a full timeout', async () => {
      const r = requester({ host: '127.0.0.1', port: 9000, timeout: 0.03, retries: 2 });
      const msg = { topic: '/ch/01/mix/fader', payload: [], keep: 1 };
      const { err, reply } = await ask(r, msg);
      assert.equal(reply, undefined);
      assert.equal(err.code, 'TIMEOUT');
      assert.match(
        err.message,
        /no reply \/ch\/01\/mix\/fader from 127\.0\.0\.1:9000 to \/ch\/01\/mix\/fader within 0\.03 s \(sent 3 times/,
      );
      assert.deepEqual(msg, { topic: '/ch/01/mix/fader', payload: [], keep: 1 });
      assert.equal(r.link.sent.length, 3);
      assert.ok(
        r.link.sent.every((s) => s.bytes.equals(r.link.sent[0].bytes)),
        'the same bytes each time',
      );
      assert.deepEqual(r.stats(), { waiting: 0, answered: 0, timeouts: 1, failed: 0, lastRttMs: undefined });
      assert.equal(r.link.interceptor, undefined);
      assert.equal(r.status().fill, 'yellow', 'the last request timed out');
      assert.match(r.status().text, /1 timeout$/);
      // A late reply goes nowhere.
      assert.equal(r.link.deliver({ address: '/ch/01/mix/fader', args: [] }), false);
    });

    it('does not retry over TCP', () => {
      assert.equal(requestOptionsFromConfig({ retries: 3 }, 'tcp-client', 4).options.retries, 0);
      assert.equal(requestOptionsFromConfig({ retries: 3 }, 'udp', 4).options.retries, 3);
    });

    it("fails a request whose send failed with the send's code, and stops waiting for it", async () => {
      const err = Object.assign(new Error('not connected'), { code: 'ENOTCONN' });
      const r = requester({}, 'tcp-client', fakeLink({ failSends: err }));
      const res = await ask(r, { topic: '/go' });
      assert.equal(res.err.code, 'ENOTCONN');
      assert.match(res.err.message, /send over TCP failed: not connected/);
      assert.equal(r.waiting, 0);
      assert.equal(r.link.interceptor, undefined);
    });

    it('ends every waiting request with the error of a lost connection', async () => {
      const r = requester({}, 'tcp-client');
      const a = ask(r, { topic: '/a' });
      const b = ask(r, { topic: '/b' });
      await nextTick();
      r.connectionLost(/** @type {any} */ ({ code: 'ECONNRESET', message: 'closed by the server' }));
      for (const { err } of [await a, await b]) {
        assert.equal(err.code, 'ECONNRESET');
        assert.match(err.message, /connection to the TCP connection was lost \(closed by the server\)/);
      }
      assert.equal(r.stats().failed, 2);
    });

    it('drops what waits on close (neither reply nor error) and refuses requests afterwards', async () => {
      const r = requester({ host: '127.0.0.1', port: 9000 });
      const calls = [];
      r.request({ topic: '/a' }, (err, reply) => calls.push([err, reply]));
      r.request({ topic: '/b' }, (err, reply) => calls.push([err, reply]));
      assert.equal(r.close(), 2);
      assert.deepEqual(calls, [
        [null, undefined],
        [null, undefined],
      ]);
      assert.equal(r.link.interceptor, undefined);
      const { err } = await ask(r, { topic: '/c' });
      assert.equal(err.code, 'ENOTCONN');
    });

    it('keeps nothing of a thousand requests that timed out', async function () {
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc');
      const r = requester({ host: '127.0.0.1', port: 9000, timeout: 0.05, maxPending: 1000 });
      const refs = [];
      // Made in a function of their own: a suspended async function keeps its registers, the last msg among them.
      const ended = ((n) => {
        const out = [];
        for (let i = 0; i < n; i++) {
          const msg = { topic: `/fader/${i % 32}`, payload: [], big: Buffer.alloc(1024) };
          refs.push(new WeakRef(msg));
          out.push(ask(r, msg).then(({ err }) => err.code));
        }
        return out;
      })(1000);
      assert.deepEqual(new Set(await Promise.all(ended)), new Set(['TIMEOUT']));
      r.link.sent.length = 0; // the stand-in's own record of the bytes
      await nextTick();
      gc();
      const alive = refs.map((w, i) => (w.deref() !== undefined ? i : -1)).filter((i) => i >= 0);
      assert.deepEqual(alive, [], `${alive.length} request msgs still held`);
      assert.equal(r.waiting, 0);
      assert.equal(r.link.interceptor, undefined);
    });
  });

  describe('over TCP', () => {
    it('a client takes any reply on its connection; a server asks the client msg.ip and msg.port name', async () => {
      const c = requester({}, 'tcp-client');
      const a = ask(c, { topic: '/cue/1/name' });
      await nextTick();
      assert.deepEqual([c.link.sent[0].host, c.link.sent[0].port], ['', 0]);
      c.link.deliver({ address: '/cue/1/name', args: [] }, 'qlab.local', 53000);
      assert.equal((await a).err, null);

      const s = requester({}, 'tcp-server');
      assert.equal((await ask(s, { topic: '/a' })).err.code, 'NO_DESTINATION');
      const b = ask(s, { topic: '/a', ip: '127.0.0.1', port: 40000 });
      await nextTick();
      assert.deepEqual([s.link.sent[0].host, s.link.sent[0].port], ['127.0.0.1', 40000]);
      assert.equal(s.link.deliver({ address: '/a', args: [] }, '127.0.0.1', 40001), false, 'another client');
      s.link.deliver({ address: '/a', args: [] }, '127.0.0.1', 40000);
      assert.equal((await b).reply.port, 40000);
    });
  });

  describe('QLab replies', () => {
    const json = (o) => ({ address: '/reply/cueLists', args: [{ type: 's', value: JSON.stringify(o) }] });

    it('parses the JSON into msg.payload', async () => {
      const r = requester({ reply: '/reply<address>', format: 'qlab' }, 'tcp-client');
      const a = ask(r, { topic: '/cueLists' });
      await nextTick();
      r.link.deliver(
        json({ workspace_id: 'W', address: '/cueLists', status: 'ok', data: [{ number: '1', name: 'Main' }] }),
      );
      const { err, reply } = await a;
      assert.equal(err, null);
      assert.deepEqual(reply.payload, {
        workspace_id: 'W',
        address: '/cueLists',
        status: 'ok',
        data: [{ number: '1', name: 'Main' }],
      });
      assert.equal(reply.topic, '/reply/cueLists');
    });

    it('makes status "error" and "denied" and a reply that is not QLab\'s catchable errors', async () => {
      const r = requester({ reply: '/reply<address>', format: 'qlab' }, 'tcp-client');
      const pending = [
        ask(r, { topic: '/cueLists' }),
        ask(r, { topic: '/cueLists' }),
        ask(r, { topic: '/cueLists' }),
        ask(r, { topic: '/cueLists' }),
      ];
      await nextTick();
      r.link.deliver(json({ address: '/cueLists', status: 'error' }));
      r.link.deliver(json({ address: '/cueLists', status: 'denied' }));
      r.link.deliver({ address: '/reply/cueLists', args: [{ type: 's', value: 'not json' }] });
      r.link.deliver({ address: '/reply/cueLists', args: [{ type: 'i', value: 1 }] });
      const [e1, e2, e3, e4] = (await Promise.all(pending)).map((x) => x.err);
      assert.deepEqual([e1.code, e2.code, e3.code, e4.code], ['REPLY_ERROR', 'REPLY_DENIED', 'BAD_REPLY', 'BAD_REPLY']);
      assert.match(e1.message, /QLab answered \/cueLists with status "error"/);
      assert.equal(r.stats().failed, 4);
    });

    it('parseQlabReply and qlabReplyError, alone', () => {
      assert.deepEqual(parseQlabReply(['{"status":"ok","data":1}'], '/r'), { status: 'ok', data: 1 });
      assert.throws(
        () => parseQlabReply('[1]', '/r'),
        (/** @type {any} */ e) => e.code === 'BAD_REPLY',
      );
      assert.throws(
        () => parseQlabReply('{"data":1}', '/r'),
        (/** @type {any} */ e) => e.code === 'BAD_REPLY',
      );
      assert.equal(qlabReplyError({ status: 'ok' }, '/a'), undefined);
      assert.match(qlabReplyError({ status: 'error', data: 'no cue' }, '/a').message, /"error": "no cue"/);
    });
  });

  describe('settings and status', () => {
    it('replaces invalid settings by their defaults, and says so', () => {
      const { options, problems } = requestOptionsFromConfig(
        { timeout: '0', retries: '1.5', maxPending: 'x', reply: '/a b' },
        'udp',
        4,
      );
      assert.deepEqual([options.timeoutMs, options.retries, options.maxPending], [1000, 0, 100]);
      assert.equal(problems.length, 4);
      assert.match(problems.join('\n'), /timeout 0.*\n.*retries 1\.5.*\n.*most waiting x.*\n.*reply address "\/a b"/);
      const ok = requestOptionsFromConfig(
        { timeout: '0.25', retries: 2, maxPending: '5', reply: '<address>.reply', consume: 'true', format: 'qlab' },
        'udp',
        4,
      );
      assert.deepEqual(ok.problems, []);
      assert.deepEqual(
        [ok.options.timeoutMs, ok.options.retries, ok.options.maxPending, ok.options.consume, ok.options.format],
        [250, 2, 5, true, 'qlab'],
      );
    });

    it("shows the endpoint's state, then how many wait, the last round trip and the timeouts", async () => {
      const link = fakeLink();
      const r = requester({ host: '127.0.0.1', port: 9000 }, 'udp', link);
      assert.deepEqual(r.status(), { fill: 'green', shape: 'dot', text: 'ready · 127.0.0.1:5000' });
      const a = ask(r, { topic: '/a' });
      await nextTick();
      assert.equal(r.status().text, '1 waiting');
      link.deliver({ address: '/a', args: [] });
      await a;
      assert.match(r.status().text, /^rtt \d+\.\d ms$/);
      link.endpoint.state = 'failed';
      link.endpoint.error = { code: 'EADDRINUSE', message: 'm', short: 'port 5000 in use' };
      assert.deepEqual(r.status(), { fill: 'red', shape: 'ring', text: 'port 5000 in use' });
    });
  });
});
