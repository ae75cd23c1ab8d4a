'use strict';
// EndpointAdvertiser (src/transport/advertiser.ts) over real UDP endpoints on 127.0.0.1, with a recording
// advertise() in place of mDNS: what is published when (the real bound port), what the users' statuses are told,
// the grace that keeps a service across a redeploy, and an mDNS failure as a state, never an exception.
const assert = require('node:assert/strict');
const { EventEmitter } = require('node:events');
const { EndpointAdvertiser } = require('../dist/transport/advertiser');
const { UdpEndpoint, udpEndpointHolder } = require('../dist/transport/udp');
const { EndpointWords } = require('../dist/nodes/endpoint-words');
const { inStatus } = require('../dist/nodes/status');
const { Texts } = require('../dist/nodes/texts');
const { freeUdpPort } = require('./helpers/net');

/** advertise() that records what it was asked and lets the test drive each advertisement. */
function recorder() {
  const ads = [];
  const fn = (o) => {
    const ad = /** @type {any} */ (new EventEmitter());
    Object.assign(ad, { name: o.name, state: 'probing', lastError: null, options: o, closed: false });
    ad.close = () => {
      ad.closed = true;
      ad.state = 'closed';
      return Promise.resolve();
    };
    ad.announce = (name = ad.name) => {
      if (name !== ad.name) {
        ad.name = name;
        ad.emit('name', name);
      }
      ad.state = 'announced';
      ad.emit('announced');
    };
    ads.push(ad);
    return ad;
  };
  return { ads, fn };
}

const boundOf = (ep) => (ep instanceof UdpEndpoint ? ep.address : undefined);

/** A user that resolves `next()` with the endpoint on each state change matching `pred`. */
function user() {
  const waiting = [];
  return {
    onStateChange(ep) {
      for (const w of waiting.splice(0)) {
        if (w.pred(ep)) w.resolve(ep);
        else waiting.push(w);
      }
    },
    next(pred) {
      return new Promise((resolve) => waiting.push({ pred, resolve }));
    },
  };
}

describe('EndpointAdvertiser', () => {
  const texts = new Texts('osc-in');
  const words = new EndpointWords(texts);
  const counters = { received: 0, errors: { count: 0, lastCode: '' } };

  it('publishes the real bound port and address once open, tells the users, and says goodbye on close', async () => {
    const rec = recorder();
    const adv = new EndpointAdvertiser({ type: '_osc._udp', name: 'Studio', boundOf, advertise: rec.fn });
    const holder = udpEndpointHolder({ localAddress: '127.0.0.1', localPort: 0 }, adv.hooks());
    const u = user();
    const h = holder.register(u);
    await u.next((ep) => ep.state === 'open');
    assert.equal(rec.ads.length, 1);
    assert.deepEqual(rec.ads[0].options, {
      type: '_osc._udp',
      name: 'Studio',
      port: h.endpoint.address.port,
      address: '127.0.0.1',
    });
    assert.ok(h.endpoint.address.port > 0);
    assert.deepEqual(h.endpoint.advertised, { name: 'Studio', state: 'probing' });
    assert.match(
      inStatus(texts, words, h.endpoint, counters, 0).text,
      /^listening on 127\.0\.0\.1:\d+ · announcing Studio$/,
    );

    // A conflict renamed it: the users hear the new name.
    const told = u.next((ep) => ep.advertised && ep.advertised.state === 'announced');
    rec.ads[0].announce('Studio (2)');
    await told;
    const st = inStatus(texts, words, h.endpoint, counters, 0);
    assert.match(st.text, /^listening on 127\.0\.0\.1:\d+ · advertised as Studio \(2\)$/);
    assert.equal(st.fill, 'green');

    await holder.close();
    assert.equal(rec.ads[0].closed, false, 'the holder itself may open an equal endpoint again: not yet');
    await adv.close();
    assert.equal(rec.ads[0].closed, true);
  });

  it('keeps the service when an equal endpoint opens within the grace, and withdraws it after the grace otherwise', async () => {
    const rec = recorder();
    const adv = new EndpointAdvertiser({ type: '_osc._udp', name: 'Keep', boundOf, advertise: rec.fn, graceMs: 200 });
    const port = await freeUdpPort('127.0.0.1');
    const holder = udpEndpointHolder({ localAddress: '127.0.0.1', localPort: port }, adv.hooks());
    let u = user();
    let h = holder.register(u);
    await u.next((ep) => ep.state === 'open');
    rec.ads[0].announce();
    await h.release(); // the only user leaves: the endpoint closes
    u = user();
    h = holder.register(u); // and comes back (a redeploy of the users only)
    await u.next((ep) => ep.state === 'open' && ep.advertised !== undefined);
    assert.equal(rec.ads.length, 1, 'not published again');
    assert.equal(rec.ads[0].closed, false, 'no goodbye');
    assert.deepEqual(h.endpoint.advertised, { name: 'Keep', state: 'announced' });

    await h.release();
    // Nobody comes back: the goodbye follows the grace.
    for (const end = Date.now() + 5000; !rec.ads[0].closed; await new Promise((r) => setTimeout(r, 20)))
      assert.ok(Date.now() < end, 'goodbye after the grace');
    await adv.close();
  });

  it('an mDNS failure is a yellow status with the reason, never an exception', async () => {
    const logged = [];
    const failing = new EndpointAdvertiser({
      type: '_osc._udp',
      name: 'Broken',
      boundOf,
      onProblem: (reason) => logged.push(reason),
      advertise: () => {
        throw new Error('no multicast here');
      },
    });
    const holder = udpEndpointHolder({ localAddress: '127.0.0.1', localPort: 0 }, failing.hooks());
    const u = user();
    const h = holder.register(u);
    await u.next((ep) => ep.state === 'open' && ep.advertised !== undefined);
    const st = inStatus(texts, words, h.endpoint, counters, 0);
    assert.equal(st.fill, 'yellow');
    assert.match(st.text, /^listening on 127\.0\.0\.1:\d+ · not advertised \(no multicast here\)$/);
    assert.deepEqual(logged, ['no multicast here'], 'logged once, as a warning');

    // An 'error' from a running advertisement before it was announced: the same.
    const rec = recorder();
    const adv = new EndpointAdvertiser({ type: '_osc._udp', name: 'Later', boundOf, advertise: rec.fn });
    const holder2 = udpEndpointHolder({ localAddress: '127.0.0.1', localPort: 0 }, adv.hooks());
    const u2 = user();
    const h2 = holder2.register(u2);
    await u2.next((ep) => ep.state === 'open');
    const told = u2.next((ep) => ep.advertised && ep.advertised.state === 'failed');
    rec.ads[0].emit('error', Object.assign(new Error('socket closed'), { code: 'MDNS_SOCKET' }));
    await told;
    assert.equal(inStatus(texts, words, h2.endpoint, counters, 0).fill, 'yellow');
    await Promise.all([holder.close(), holder2.close(), failing.close(), adv.close()]);
  });
});
