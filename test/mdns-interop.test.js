'use strict';
// The mDNS / DNS-SD core (dist/transport/discovery.js) against independent implementations over real multicast:
// python3-zeroconf on the loopback, Avahi (its daemon on a private D-Bus), and python3-zeroconf in a network
// namespace across a veth link. Each part skips with its reason where its peer cannot run here.
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const { execSync } = require('node:child_process');
const discovery = require('../dist/transport/discovery');
const { zeroconfAvailable, zeroconfPeer, startAvahi, vethNamespace } = require('./helpers/mdns-peers');

let seq = 0;
const uniqueName = (what) => `oscflow ${what} ${process.pid}-${++seq}`;

/** A real UDP socket on a free port: what we advertise is a port someone listens on. */
async function listening() {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', () => r(undefined)));
  return { port: s.address().port, close: () => s.close() };
}

/** Resolves once `browser` lists a service accepted by `pred`. */
function found(browser, pred) {
  const now = browser.services().find(pred);
  if (now) return Promise.resolve(now);
  return new Promise((resolve) => {
    const on = () => {
      const s = browser.services().find(pred);
      if (!s) return;
      browser.off('change', on);
      resolve(s);
    };
    browser.on('change', on);
  });
}

function gone(browser, pred) {
  if (!browser.services().some(pred)) return Promise.resolve();
  return new Promise((resolve) => {
    const on = () => {
      if (browser.services().some(pred)) return;
      browser.off('change', on);
      resolve();
    };
    browser.on('change', on);
  });
}

const announced = (ad) => (ad.state === 'announced' ? Promise.resolve() : new Promise((r) => ad.once('announced', r)));

/** The pids holding UDP port 5353 (ss -ulpn), to show the port is shared. */
function holdersOf5353() {
  const out = execSync('ss -ulpnH "sport = :5353"', { encoding: 'utf8' });
  return new Set([...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])));
}

describe('mDNS / DNS-SD against real peers', function () {
  this.timeout(30000);
  const cleanup = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  const ad = (o) => {
    const a = discovery.advertise(o);
    cleanup.push(() => a.close());
    return a;
  };
  const browser = (types) => {
    const b = discovery.browse(types);
    cleanup.push(() => b.close());
    return b;
  };

  describe('python3-zeroconf on the loopback', () => {
    let peer;
    before(async function () {
      if (!zeroconfAvailable()) return this.skip(); // python3-zeroconf is installed by .ci/run
      peer = await zeroconfPeer('lo');
      peer.send({ cmd: 'browse', type: '_osc._udp' });
      peer.send({ cmd: 'browse', type: '_oscjson._tcp' });
    });
    after(async () => {
      if (peer) await peer.close();
    });

    it('finds our advertisement with its port, TXT and loopback address, and forgets it after close (goodbye)', async () => {
      const sock = await listening();
      cleanup.push(() => sock.close());
      const name = uniqueName('found');
      const a = ad({ type: '_osc._udp', name, port: sock.port, txt: { osc: '1.1', note: 'grüße' } });
      const add = await peer.until((e) => e.event === 'add' && e.name === name);
      assert.equal(add.port, sock.port);
      assert.deepEqual(add.txt, { osc: '1.1', note: 'grüße' });
      assert.ok(add.addresses.includes('127.0.0.1'), JSON.stringify(add));
      assert.equal(a.state, 'announced');
      await a.close();
      assert.equal(a.state, 'closed');
      await peer.until((e) => e.event === 'remove' && e.name === name);
    });

    it('advertises _oscjson._tcp with an empty TXT as one empty string (never an empty record)', async () => {
      const name = uniqueName('oscjson');
      ad({ type: '_oscjson._tcp', name, port: 8123 });
      const add = await peer.until((e) => e.event === 'add' && e.name === name);
      assert.equal(add.type, '_oscjson._tcp');
      assert.equal(add.port, 8123);
      assert.deepEqual(add.txt, {});
    });

    it('lists a service zeroconf registers, with its port, addresses and TXT, and drops it at its goodbye', async () => {
      const b = browser(['_osc._udp']);
      const name = uniqueName('zc');
      const server = `zc-lo-${process.pid}.local.`;
      peer.send({
        cmd: 'register',
        name,
        type: '_osc._udp',
        port: 7311,
        txt: { k: 'v' },
        address: '127.0.0.1',
        server,
      });
      const s = await found(b, (x) => x.name === name);
      assert.equal(s.type, '_osc._udp');
      assert.equal(s.port, 7311);
      assert.deepEqual(s.addresses, ['127.0.0.1']);
      assert.deepEqual(s.txt, { k: 'v' });
      assert.equal(s.host, server.slice(0, -1));
      await peer.until((e) => e.event === 'registered' && e.name === name);
      peer.send({ cmd: 'unregister', name, type: '_osc._udp' });
      await gone(b, (x) => x.name === name);
    });

    it('two advertisements with one name get distinct names ("X" and "X (2)"), both found', async () => {
      const name = uniqueName('twin');
      const a = ad({ type: '_osc._udp', name, port: 9001 });
      const b = ad({ type: '_osc._udp', name, port: 9002 });
      await Promise.all([announced(a), announced(b)]);
      assert.equal(a.name, name);
      assert.equal(b.name, `${name} (2)`);
      const [fa, fb] = await Promise.all([
        peer.until((e) => e.event === 'add' && e.name === name),
        peer.until((e) => e.event === 'add' && e.name === `${name} (2)`),
      ]);
      assert.equal(fa.port, 9001);
      assert.equal(fb.port, 9002);
    });

    it('renames on a conflict with a name zeroconf holds, and zeroconf cannot take a name we hold', async () => {
      const name = uniqueName('taken');
      peer.send({ cmd: 'register', name, type: '_osc._udp', port: 7312, address: '127.0.0.1' });
      await peer.until((e) => e.event === 'registered' && e.name === name);
      const a = ad({ type: '_osc._udp', name, port: 9003 });
      const renamed = new Promise((r) => a.once('name', r));
      await announced(a);
      assert.equal(await renamed, `${name} (2)`);
      assert.equal(a.name, `${name} (2)`);
      const add = await peer.until((e) => e.event === 'add' && e.name === `${name} (2)`);
      assert.equal(add.port, 9003);

      // Ours is announced: zeroconf probes for it, we answer, it must give up.
      const mine = uniqueName('mine');
      const m = ad({ type: '_osc._udp', name: mine, port: 9004 });
      await announced(m);
      peer.send({ cmd: 'register', name: mine, type: '_osc._udp', port: 7313, address: '127.0.0.1' });
      await peer
        .until((e) => (e.event === 'conflict' || e.event === 'registered') && e.name === mine)
        .then((e) => assert.equal(e.event, 'conflict', 'zeroconf took a name we had announced'));
      peer.send({ cmd: 'unregister', name, type: '_osc._udp' });
    });

    it('shares port 5353: zeroconf and we both hold it, and both work', async () => {
      const name = uniqueName('shared');
      const a = ad({ type: '_osc._udp', name, port: 9005 });
      await peer.until((e) => e.event === 'add' && e.name === name);
      const holders = holdersOf5353();
      assert.ok(holders.has(process.pid), `we hold 5353: ${[...holders]}`);
      assert.ok(holders.size >= 2, `another process holds 5353 too: ${[...holders]}`);
      assert.equal(a.state, 'announced');
    });
  });

  describe('Avahi (avahi-daemon, avahi-browse, avahi-publish)', () => {
    let avahi;
    before(async function () {
      this.timeout(30000);
      avahi = await startAvahi();
      if (avahi.skip) {
        // Not a silent pass: the reason is printed with the skip.
        console.log(`      (Avahi skipped: ${avahi.skip})`);
        avahi = null;
        this.skip();
      }
    });
    after(async () => {
      if (avahi) await avahi.stop();
    });

    it('resolves our advertisement per interface: loopback-bound only on lo, every-interface with each one’s address', async () => {
      const ifaces = Object.entries(require('node:os').networkInterfaces())
        .filter(([, l]) => l.some((a) => a.family === 'IPv4'))
        .map(([n, l]) => [n, l.find((a) => a.family === 'IPv4').address]);
      const br = avahi.browse('_osc._udp');
      cleanup.push(() => br.stop());
      const loName = uniqueName('lo only');
      const allName = uniqueName('everywhere');
      const lo = ad({ type: '_osc._udp', name: loName, port: 9006, address: '127.0.0.1', txt: { a: 'b' } });
      await announced(lo);
      ad({ type: '_osc._udp', name: allName, port: 9007, address: '0.0.0.0' });
      const esc = (n) => n.replace(/ /g, '\\032');
      // Every interface avahi uses resolves the every-interface service with that interface's own address.
      const resolved = await Promise.all(
        ifaces.map(([n]) => br.until((f) => f[0] === '=' && f[1] === n && f[3] === esc(allName))),
      );
      for (const f of resolved) {
        assert.equal(f[8], String(9007));
        assert.equal(f[7], ifaces.find(([n]) => n === f[1])[1], `address on ${f[1]}`);
      }
      const loLines = br.lines.filter((f) => f[0] === '=' && f[3] === esc(loName));
      assert.ok(loLines.length >= 1, 'the loopback-bound service resolved');
      for (const f of loLines) {
        assert.equal(f[1], 'lo');
        assert.equal(f[7], '127.0.0.1');
        assert.equal(f[9], '"a=b"');
      }
      await lo.close();
      await br.until((f) => f[0] === '-' && f[3] === esc(loName));
    });

    it('advertised only on the interface whose address it is bound to', async function () {
      const eth = Object.entries(require('node:os').networkInterfaces()).find(([, l]) =>
        l.some((a) => a.family === 'IPv4' && !a.internal),
      );
      if (!eth) return this.skip();
      const [ifName, list] = eth;
      const address = list.find((a) => a.family === 'IPv4').address;
      const br = avahi.browse('_osc._udp');
      cleanup.push(() => br.stop());
      const name = uniqueName('one iface');
      const other = uniqueName('witness');
      ad({ type: '_osc._udp', name, port: 9008, address });
      const w = ad({ type: '_osc._udp', name: other, port: 9009, address: '127.0.0.1' });
      const esc = (n) => n.replace(/ /g, '\\032');
      const f = await br.until((x) => x[0] === '=' && x[3] === esc(name));
      assert.equal(f[1], ifName);
      assert.equal(f[7], address);
      // The loopback-bound witness resolves on lo after ours was announced: by then ours would have shown on lo.
      await announced(w);
      await br.until((x) => x[0] === '=' && x[3] === esc(other));
      assert.deepEqual(
        br.lines.filter((x) => x[0] === '=' && x[3] === esc(name)).map((x) => x[1]),
        [ifName],
      );
    });

    it('lists a service avahi-publish registers, and renames ours on a conflict with it', async () => {
      const b = browser(['_osc._udp']);
      const name = uniqueName('avahi');
      const pub = avahi.publish(name, '_osc._udp', 7320, ['x=1']);
      cleanup.push(() => pub.stop());
      assert.equal(await pub.established, name);
      const s = await found(b, (x) => x.name === name);
      assert.equal(s.port, 7320);
      assert.deepEqual(s.txt, { x: '1' });
      assert.ok(s.addresses.length > 0, JSON.stringify(s));

      const a = ad({ type: '_osc._udp', name, port: 9010 });
      await announced(a);
      assert.equal(a.name, `${name} (2)`);
      pub.stop();
      await gone(b, (x) => x.name === name);
    });

    it('shares port 5353 with avahi-daemon', async () => {
      const name = uniqueName('beside avahi');
      const b = browser(['_osc._udp']);
      ad({ type: '_osc._udp', name, port: 9011 });
      await found(b, (x) => x.name === name);
      const holders = holdersOf5353();
      assert.ok(holders.has(process.pid));
      assert.ok(holders.size >= 2, `avahi-daemon holds 5353 too: ${[...holders]}`);
    });
  });

  describe('across a veth link into a network namespace (python3-zeroconf there)', () => {
    let link;
    let peer;
    before(async function () {
      if (!zeroconfAvailable()) return this.skip();
      link = vethNamespace('d');
      // Needs root (CAP_NET_ADMIN) and iproute2; docs/development.md says what is not tested where this is skipped.
      if (!link) return this.skip();
      discovery.responder().rescan();
      peer = await zeroconfPeer(link.remote, link.ns);
      peer.send({ cmd: 'browse', type: '_osc._udp' });
    });
    after(async () => {
      if (peer) await peer.close();
      if (link) link.destroy();
    });

    it('is found across the link with the address of our end only, and forgotten after close', async () => {
      const name = uniqueName('veth');
      const a = ad({ type: '_osc._udp', name, port: 9012, txt: { v: '1' } });
      const add = await peer.until((e) => e.event === 'add' && e.name === name);
      assert.equal(add.port, 9012);
      assert.deepEqual(add.addresses, [link.local]);
      assert.deepEqual(add.txt, { v: '1' });
      await a.close();
      await peer.until((e) => e.event === 'remove' && e.name === name);
    });

    it('a loopback-bound advertisement never crosses the link; one bound to our end does', async () => {
      const loName = uniqueName('veth lo');
      const endName = uniqueName('veth end');
      const lo = ad({ type: '_osc._udp', name: loName, port: 9013, address: '127.0.0.1' });
      await announced(lo);
      ad({ type: '_osc._udp', name: endName, port: 9014, address: link.local });
      const add = await peer.until((e) => e.event === 'add' && e.name === endName);
      assert.deepEqual(add.addresses, [link.local]);
      assert.equal(
        peer.events.find((e) => e.name === loName),
        undefined,
        'the loopback-bound service reached the namespace',
      );
    });

    it('lists a service registered in the namespace, with its address there', async () => {
      const b = browser(['_osc._udp']);
      const name = uniqueName('from ns');
      const server = `zc-ns-${process.pid}.local.`;
      peer.send({ cmd: 'register', name, type: '_osc._udp', port: 7330, address: link.remote, server });
      const s = await found(b, (x) => x.name === name);
      assert.equal(s.port, 7330);
      assert.deepEqual(s.addresses, [link.remote]);
      await peer.until((e) => e.event === 'registered' && e.name === name);
      peer.send({ cmd: 'unregister', name, type: '_osc._udp' });
      await gone(b, (x) => x.name === name);
    });
  });

  describe('when port 5353 is taken exclusively (in a network namespace of its own)', () => {
    const ns = `oscflow-mx${process.pid % 100000}`;
    let made = false;
    before(function () {
      try {
        execSync(`ip netns add ${ns} && ip netns exec ${ns} ip link set lo up`, { stdio: 'pipe' });
        made = true;
      } catch {
        return this.skip(); // needs root (CAP_NET_ADMIN) and iproute2
      }
    });
    after(() => {
      if (made) execSync(`ip netns del ${ns}`, { stdio: 'pipe' });
    });

    it('fails the advertisement with MDNS_SOCKET and tells the browser, without throwing', async () => {
      const { execFile } = require('node:child_process');
      const dist = require.resolve('../dist/transport/discovery').replace(/\\/g, '/');
      // Someone holds 5353 without address reuse; then we advertise and browse, listening for errors.
      const script = `
        const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: false });
        s.bind(5353, '0.0.0.0', () => {
          const d = require(${JSON.stringify(dist)});
          const ad = d.advertise({ type: '_osc._udp', name: 'x', port: 9 });
          const quiet = d.advertise({ type: '_osc._udp', name: 'y', port: 10 }); // no 'error' listener
          const b = d.browse();
          const out = {};
          b.on('error', (e) => (out.browser = e.code));
          ad.on('error', (e) => {
            out.code = e.code;
            setImmediate(async () => {
              out.state = ad.state;
              out.quiet = [quiet.state, quiet.lastError && quiet.lastError.code];
              await ad.close();
              await quiet.close();
              b.close();
              s.close();
              console.log(JSON.stringify(out));
            });
          });
        });`;
      const stdout = await new Promise((resolve, reject) =>
        execFile('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { timeout: 15000 }, (err, out, errOut) =>
          err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
        ),
      );
      assert.deepEqual(JSON.parse(stdout), {
        code: 'MDNS_SOCKET',
        state: 'failed',
        quiet: ['failed', 'MDNS_SOCKET'],
        browser: 'MDNS_SOCKET',
      });
    });
  });
});
