'use strict';
// The UDP endpoint over real sockets on 127.0.0.1: sharing through its holder, reference counting, redeploy safety,
// errors reported instead of thrown.
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const { execFileSync, spawnSync } = require('node:child_process');
const path = require('node:path');
const udp = require('../dist/transport/udp');

function peer() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

function nextMessage(socket) {
  return new Promise((resolve) => socket.once('message', (data, rinfo) => resolve({ data, rinfo })));
}

function sendFrom(socket, data, port) {
  return new Promise((resolve, reject) => socket.send(data, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
}

/** Resolves when the endpoint leaves 'opening' (open or failed). */
function settled(handle) {
  const ep = handle.endpoint;
  if (ep.state !== 'opening') return Promise.resolve(ep);
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (ep.state !== 'opening') {
        clearInterval(t);
        resolve(ep);
      }
    }, 2);
  });
}

function userWithState() {
  let wake = null;
  const user = {
    states: [],
    messages: [],
    onStateChange(ep) {
      user.states.push(ep.state);
      if (wake) wake(ep);
    },
    onMessage(data, rinfo) {
      user.messages.push({ data, rinfo });
    },
    nextState: () => new Promise((r) => (wake = r)),
  };
  return user;
}

async function freePort() {
  const s = await peer();
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Registers with a holder of its own (as osc-out holds its socket); a config node's holder serves several users. */
const register = (options, user) => udp.udpEndpointHolder(options).register(user);

describe('UDP endpoint (transport/udp)', () => {
  afterEach(() => {
    assert.equal(udp.openEndpointCount(), 0, 'a test left an endpoint open');
  });

  it('opens on a free port, reports the real port, receives and sends', async () => {
    const user = userWithState();
    const h = register({ localAddress: '127.0.0.1', localPort: 0 }, user);
    assert.equal(h.endpoint.state, 'opening');
    const ep = await user.nextState();
    assert.equal(ep.state, 'open');
    assert.ok(ep.address.port > 0);
    assert.equal(ep.label, `127.0.0.1:${ep.address.port}`);
    // What a node shows, without knowing the transport: the words for its role, and the counters.
    assert.deepEqual(ep.status(), {
      state: 'open',
      text: `listening on ${ep.label}`,
      key: 'listening',
      params: { label: ep.label },
      retrying: false,
      unreachable: false,
      counters: { rejected: 0, lastRejected: undefined, kernelDrops: ep.kernelDrops, refusals: 0, peers: undefined },
    });
    assert.equal(ep.status('send').text, `from ${ep.label}`);

    const p = await peer();
    const got = nextMessage(p);
    await new Promise((resolve, reject) =>
      h.send(Buffer.from('ping'), p.address().port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
    );
    const { data, rinfo } = await got;
    assert.equal(data.toString(), 'ping');
    assert.equal(rinfo.port, ep.address.port, 'sent from the endpoint port');

    await sendFrom(p, Buffer.from('pong'), ep.address.port);
    while (user.messages.length === 0) await new Promise((r) => setImmediate(r));
    assert.equal(user.messages[0].data.toString(), 'pong');
    assert.equal(user.messages[0].rinfo.port, p.address().port);
    p.close();
    await h.release();
    assert.equal(ep.state, 'closed');
  });

  it('shares one socket between the users of one holder, and closes only after the last one', async () => {
    const holder = udp.udpEndpointHolder({ localAddress: '127.0.0.1' });
    const a = userWithState();
    const b = userWithState();
    const ha = holder.register(a);
    const hb = holder.register(b);
    assert.equal(ha.endpoint, hb.endpoint);
    const ep = await settled(ha);
    assert.equal(ep.userCount, 2);
    const port = ep.address.port;

    await ha.release();
    await ha.release(); // releasing twice must not steal b's reference
    assert.equal(ep.state, 'open');
    const p = await peer();
    await sendFrom(p, Buffer.from('still here'), port);
    while (b.messages.length === 0) await new Promise((r) => setImmediate(r));
    assert.equal(a.messages.length, 0, 'a released user gets nothing');

    await hb.release();
    assert.equal(ep.state, 'closed');
    // The port is free again: binding it must succeed.
    const again = dgram.createSocket('udp4');
    await new Promise((resolve, reject) => {
      again.once('error', reject);
      again.bind(port, '127.0.0.1', () => resolve());
    });
    again.close();
    p.close();
  });

  it('re-binds the same port 50 times in a row without "address in use" (release not awaited)', async () => {
    const port = await freePort();
    let h = null;
    for (let i = 0; i < 50; i++) {
      if (h) void h.release(); // a redeploy: the old socket closes while the new one is being created
      const user = userWithState();
      h = register({ localAddress: '127.0.0.1', localPort: port }, user);
      const ep = await settled(h);
      assert.equal(ep.state, 'open', `round ${i}: ${ep.error && ep.error.message}`);
      assert.equal(ep.address.port, port);
    }
    await h.release();
  });

  it('reports a port held by another socket as EADDRINUSE, and retries when a new user joins', async () => {
    const holder = await peer();
    const port = holder.address().port;
    const owner = udp.udpEndpointHolder({ localAddress: '127.0.0.1', localPort: port });
    const user = userWithState();
    const h = owner.register(user);
    const ep = await user.nextState();
    assert.equal(ep.state, 'failed');
    assert.equal(ep.error.code, 'EADDRINUSE');
    assert.equal(ep.error.short, `port ${port} in use`);
    assert.match(ep.error.message, new RegExp(`port ${port} is already in use`));
    // What a translation needs: which message this is, and the values in it.
    assert.equal(ep.error.name, 'EndpointError');
    assert.equal(ep.error.key, 'EADDRINUSE.udp');
    assert.deepEqual(ep.error.params, { where: `127.0.0.1:${port}`, address: '127.0.0.1', port });
    assert.deepEqual(
      [ep.status().state, ep.status().text, ep.status().key],
      ['failed', `port ${port} in use`, 'failed'],
    );

    // Sending through a failed endpoint is an error in the callback, never a throw.
    const err = await new Promise((resolve) => h.send(Buffer.from('x'), 9, '127.0.0.1', resolve));
    assert.ok(err instanceof Error);
    assert.match(err.message, /is not open/);

    // The other program goes away; a user joining (a partial redeploy) makes the endpoint try again.
    await new Promise((r) => holder.close(r));
    const second = userWithState();
    const h2 = owner.register(second);
    assert.equal(h2.endpoint, ep);
    const reopened = await second.nextState();
    assert.equal(reopened.state, 'open');
    await h.release();
    await h2.release();
  });

  it('queues sends made while opening and delivers them once bound', async () => {
    const p = await peer();
    const h = register({ localAddress: '127.0.0.1' }, {});
    assert.equal(h.endpoint.state, 'opening');
    const got = nextMessage(p);
    const sent = new Promise((resolve, reject) =>
      h.send(Buffer.from('early'), p.address().port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
    );
    await sent;
    assert.equal((await got).data.toString(), 'early');
    p.close();
    await h.release();
  });

  it('still sends what it was handed right before the last user released it, and calls back', async () => {
    const p = await peer();
    const got = [];
    p.on('message', (d) => got.push(d.toString()));
    const h = register({ localAddress: '127.0.0.1' }, {});
    await settled(h);
    // Not connected, so dgram first looks the address up (next tick for an address, the resolver for a name) and,
    // if the socket closed meanwhile, drops the send without calling back: an osc-out's done() would never come.
    const sends = [
      ['by address', '127.0.0.1'],
      ['by name', 'localhost'],
    ].map(([text, host]) => new Promise((resolve) => h.send(Buffer.from(text), p.address().port, host, resolve)));
    const released = h.release();
    assert.deepEqual(await Promise.all(sends), [null, null]);
    await released;
    assert.equal(h.endpoint.state, 'closed');
    while (got.length < 2) await new Promise((r) => setImmediate(r));
    assert.deepEqual(got.sort(), ['by address', 'by name']);
    p.close();
  });

  it('reports an unresolvable host in the send callback, and the socket goes on', async () => {
    const h = register({ localAddress: '127.0.0.1' }, {});
    await settled(h);
    const err = await new Promise((resolve) => h.send(Buffer.from('x'), 9000, 'no-such-host.invalid', resolve));
    assert.ok(err, 'an error is reported');
    assert.match(err.code, /ENOTFOUND|EAI_AGAIN/);
    const bad = await new Promise((resolve) => h.send(Buffer.from('x'), 70000, '127.0.0.1', resolve));
    assert.ok(bad instanceof Error, 'a bad port is reported, not thrown');
    assert.equal(h.endpoint.state, 'open');
    await h.release();
  });

  it('works over IPv6 (udp6 on ::1), with the larger IPv6 datagram limit', async () => {
    const user = userWithState();
    const h = register({ ipv: 'udp6', localAddress: '::1' }, user);
    const ep = await user.nextState();
    assert.equal(ep.state, 'open', ep.error && ep.error.message);
    assert.equal(ep.maxPacket, 65527);
    assert.match(ep.label, /^\[::1\]:\d+$/);
    const p6 = dgram.createSocket('udp6');
    await new Promise((r) => p6.bind(0, '::1', () => r()));
    const got = nextMessage(p6);
    await new Promise((resolve, reject) =>
      h.send(Buffer.from('v6'), p6.address().port, '::1', (e) => (e ? reject(e) : resolve())),
    );
    const { data, rinfo } = await got;
    assert.equal(data.toString(), 'v6');
    assert.equal(rinfo.port, ep.address.port);
    p6.close();
    await h.release();
  });

  it('fails with a clear error for a local port that is not a number', async () => {
    const user = userWithState();
    const h = register(udp.udpOptionsFromConfig({ localPort: 'abc' }), user);
    const ep = await user.nextState();
    assert.equal(ep.state, 'failed');
    assert.match(ep.error.message, /not a port number/);
    await h.release();
  });

  it('turns editor values (strings) into options with the contract defaults', () => {
    assert.deepEqual(udp.resolveUdpOptions(udp.udpOptionsFromConfig({})), udp.DEFAULT_UDP_OPTIONS);
    const o = udp.resolveUdpOptions(
      udp.udpOptionsFromConfig({
        localPort: '9000',
        ipv: 'udp6',
        localAddress: '',
        broadcast: 'true',
        ttl: '3',
        multicastLoopback: 'false',
      }),
    );
    assert.equal(o.localPort, 9000);
    assert.equal(o.localAddress, '::');
    assert.equal(o.broadcast, true);
    assert.equal(o.ttl, 3);
    assert.equal(o.multicastLoopback, false);
  });

  describe('broadcast and multicast', () => {
    it('joins a multicast group on the loopback interface and receives what is sent to the group', async () => {
      const group = '239.255.77.' + (1 + (process.pid % 200));
      const user = userWithState();
      const h = register(
        { localAddress: '0.0.0.0', multicastGroup: group, multicastInterface: 'lo', ttl: 1, broadcast: true },
        user,
      );
      const ep = await user.nextState();
      assert.equal(ep.state, 'open', ep.error && ep.error.message);
      const sender = await peer();
      sender.setMulticastInterface('127.0.0.1');
      await new Promise((resolve, reject) =>
        sender.send('to the group', ep.address.port, group, (e) => (e ? reject(e) : resolve())),
      );
      while (user.messages.length === 0) await new Promise((r) => setImmediate(r));
      assert.equal(user.messages.at(-1).data.toString(), 'to the group');
      sender.close();
      await h.release();
    });

    it('reports a group that is not a multicast address (red, not a crash)', async () => {
      const user = userWithState();
      const h = register({ localAddress: '0.0.0.0', multicastGroup: '10.1.2.3' }, user);
      const ep = await user.nextState();
      assert.equal(ep.state, 'failed');
      assert.equal(ep.error.code, 'EINVAL');
      assert.match(ep.error.message, /cannot join multicast group 10\.1\.2\.3/);
      await h.release();
    });

    it('reports an interface that does not exist, by name and by address', async () => {
      const a = userWithState();
      const ha = register({ multicastGroup: '239.255.77.9', multicastInterface: 'nosuch0' }, a);
      const epa = await a.nextState();
      assert.equal(epa.state, 'failed');
      assert.equal(epa.error.code, 'ENODEV');
      assert.match(epa.error.message, /no network interface named "nosuch0"/);

      const b = userWithState();
      const hb = register({ multicastGroup: '239.255.77.9', multicastInterface: '10.99.99.99' }, b);
      const epb = await b.nextState();
      assert.equal(epb.state, 'failed');
      assert.match(epb.error.message, /cannot join multicast group 239\.255\.77\.9 on interface 10\.99\.99\.99/);
      await ha.release();
      await hb.release();
    });

    it('reports a TTL out of range', async () => {
      const user = userWithState();
      const h = register({ ttl: 300 }, user);
      const ep = await user.nextState();
      assert.equal(ep.state, 'failed');
      assert.match(ep.error.message, /TTL 300/);
      await h.release();
    });
  });

  it('names a privileged port as needing privileges (EACCES), checked as an unprivileged user', function () {
    const root = process.getuid && process.getuid() === 0;
    // As root any port binds; drop to "nobody" to see what a normal Node-RED user sees.
    if (root && spawnSync('setpriv', ['--version']).status !== 0) this.skip();
    const script = `
      const udp = require(${JSON.stringify(path.resolve(__dirname, '../dist/transport/udp'))});
      udp.udpEndpointHolder({ localAddress: '127.0.0.1', localPort: 81 }).register({
        onStateChange(ep) { console.log(JSON.stringify({ state: ep.state, code: ep.error && ep.error.code, message: ep.error && ep.error.message, short: ep.error && ep.error.short })); process.exit(0); },
      });`;
    /** @type {[string, string[]]} */
    const cmd = root
      ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script]]
      : [process.execPath, ['-e', script]];
    const out = execFileSync(cmd[0], cmd[1], { encoding: 'utf8', timeout: 10000 });
    const r = JSON.parse(out.trim());
    assert.equal(r.state, 'failed');
    assert.equal(r.code, 'EACCES');
    assert.equal(r.short, 'port 81 needs privileges');
    assert.match(r.message, /needs privileges \(EACCES\); choose a port above 1023/);
  });
});
