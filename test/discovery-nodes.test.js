'use strict';
// Issue 16 in a Node-RED runtime, checked by an independent DNS-SD implementation (Debian's python3-zeroconf on
// the loopback): osc udp and an osc tcp server with Advertise on are found with their real port and the status
// says so; they say goodbye when the flow stops or a redeploy turns Advertise off, and a redeploy that only
// restarts the users keeps the service as it was. GET osc/services lists what python-zeroconf registers, and
// needs the flows.read permission once adminAuth is set.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const oscTcp = require('../dist/nodes/osc-tcp');
const services = require('../dist/nodes/services');
const { helper, UDP_NODES, waitStatus } = require('./helpers/nodes');
const { freeUdpPort } = require('./helpers/net');
const { zeroconfAvailable, zeroconfBrowser, zeroconfService } = require('./helpers/mdns-peers');
const { startNodeRed, adminToken } = require('./helpers/node-red-child');

const NODES = [oscTcp, ...UDP_NODES];

/** A service name of this run only: parallel runs and earlier runs' cached records never match it. */
function uniqueName(prefix) {
  return `${prefix} ${crypto.randomBytes(4).toString('hex')}`;
}

function udpFlow(udp, inProps = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    { id: 'u1', type: 'osc-udp', localAddress: '127.0.0.1', localPort: 0, ...udp },
    { id: 'i1', type: 'osc-in', z: 'f1', endpoint: 'u1', wires: [], ...inProps },
  ];
}

describe('discovery in a Node-RED runtime (checked by python3-zeroconf)', function () {
  this.timeout(30000);
  const peers = [];

  before(function () {
    if (!zeroconfAvailable()) this.skip();
  });

  afterEach(async () => {
    await helper.unload();
    for (const p of peers.splice(0)) await p.close();
    services.stopBrowsing();
  });

  it('osc udp with Advertise on is found with its real port (port 0), the osc in status says so, and it is gone once the flow stops', async () => {
    const name = uniqueName('oscflow udp');
    const browser = await zeroconfBrowser('_osc._udp');
    peers.push(browser);
    await helper.load(NODES, udpFlow({ advertise: true, serviceName: name }));
    const st = await waitStatus(helper.getNode('i1'), /advertised as/);
    const m = /^listening on 127\.0\.0\.1:(\d+) · advertised as (.+)$/.exec(st.text);
    assert.ok(m, st.text);
    assert.equal(m[2], name);
    assert.equal(st.fill, 'green');
    const port = Number(m[1]);
    assert.ok(port > 0);
    const found = await browser.until((e) => e.event === 'add' && e.name === name);
    assert.equal(found.port, port);
    assert.ok(found.addresses.includes('127.0.0.1'), JSON.stringify(found.addresses));
    const from = browser.events.length;
    await helper.unload();
    await browser.until((e) => e.event === 'remove' && e.name === name, from);
  });

  it('two endpoints advertising the same name get distinct names, each shown in its own status; bound to 0.0.0.0 they are found on the loopback too', async () => {
    const name = uniqueName('oscflow twin');
    const browser = await zeroconfBrowser('_osc._udp');
    peers.push(browser);
    await helper.load(NODES, [
      { id: 'f1', type: 'tab', label: 'test' },
      { id: 'u1', type: 'osc-udp', localAddress: '0.0.0.0', localPort: 0, advertise: true, serviceName: name },
      { id: 'u2', type: 'osc-udp', localAddress: '0.0.0.0', localPort: 0, advertise: true, serviceName: name },
      { id: 'i1', type: 'osc-in', z: 'f1', endpoint: 'u1', wires: [] },
      { id: 'i2', type: 'osc-in', z: 'f1', endpoint: 'u2', wires: [] },
    ]);
    const shown = await Promise.all(
      ['i1', 'i2'].map(async (id) => {
        const st = await waitStatus(helper.getNode(id), /advertised as/);
        const m = /^listening on 0\.0\.0\.0:(\d+) · advertised as (.+)$/.exec(st.text);
        assert.ok(m, st.text);
        return { port: Number(m[1]), name: m[2] };
      }),
    );
    assert.deepEqual(shown.map((x) => x.name).sort(), [name, `${name} (2)`]);
    for (const x of shown) {
      const found = await browser.until((e) => e.event === 'add' && e.name === x.name);
      assert.equal(found.port, x.port, x.name);
      assert.ok(found.addresses.includes('127.0.0.1'), JSON.stringify(found.addresses));
    }
  });

  it('without Advertise (and in flows saved before it existed) nothing is published and the status is as before', async () => {
    await helper.load(NODES, udpFlow({}));
    const st = await waitStatus(helper.getNode('i1'), /^listening on /);
    assert.match(st.text, /^listening on 127\.0\.0\.1:\d+$/);
  });

  it('a redeploy restarting only the users keeps the service (no goodbye, no second announcement); one turning Advertise off withdraws it', async () => {
    const name = uniqueName('oscflow keep');
    const localPort = await freeUdpPort('127.0.0.1');
    const browser = await zeroconfBrowser('_osc._udp');
    peers.push(browser);
    const flow = udpFlow({ advertise: true, serviceName: name, localPort });
    await helper.load(NODES, flow);
    const added = await browser.until((e) => e.event === 'add' && e.name === name);
    assert.equal(added.port, localPort);

    // Only osc in changes: it is its endpoint's only user, so the socket closes and an equal one opens.
    const first = helper.getNode('i1');
    await helper.setFlows(udpFlow({ advertise: true, serviceName: name, localPort }, { name: 'renamed' }), 'nodes');
    const again = helper.getNode('i1');
    assert.notEqual(again, first, 'osc in was restarted');
    await waitStatus(again, new RegExp(`advertised as ${name}$`));

    const before = browser.events.length;
    await helper.setFlows(udpFlow({ advertise: false, serviceName: name, localPort }, { name: 'renamed' }), 'nodes');
    await browser.until((e) => e.event === 'remove' && e.name === name, before);
    const seen = browser.events.filter((e) => e.name === name && (e.event === 'add' || e.event === 'remove'));
    assert.deepEqual(
      seen.map((e) => e.event),
      ['add', 'remove'],
      'announced once, withdrawn once: the first redeploy changed nothing a browser sees',
    );
    const st = await waitStatus(helper.getNode('i1'), /^listening on /);
    assert.doesNotMatch(st.text, /advertised/);
  });

  it('an osc tcp server with Advertise on is found as _osc._tcp with its port, and shows it', async () => {
    const name = uniqueName('oscflow tcp');
    const browser = await zeroconfBrowser('_osc._tcp');
    peers.push(browser);
    await helper.load(NODES, [
      { id: 'f1', type: 'tab', label: 'test' },
      {
        id: 't1',
        type: 'osc-tcp',
        mode: 'server',
        localAddress: '127.0.0.1',
        localPort: 0,
        advertise: true,
        serviceName: name,
      },
      { id: 'i1', type: 'osc-in', z: 'f1', transport: 'tcp', tcpEndpoint: 't1', wires: [] },
    ]);
    const st = await waitStatus(helper.getNode('i1'), /advertised as/);
    const m = /^listening on tcp 127\.0\.0\.1:(\d+) · 0 clients · advertised as (.+)$/.exec(st.text);
    assert.ok(m, st.text);
    assert.equal(m[2], name);
    const found = await browser.until((e) => e.event === 'add' && e.name === name);
    assert.equal(found.port, Number(m[1]));
  });

  it('GET osc/services lists a service python3-zeroconf registers, with its port, addresses and TXT; ?type filters', async () => {
    const name = uniqueName('zeroconf synth');
    const port = 40000 + crypto.randomInt(20000);
    peers.push(await zeroconfService('_osc._udp', name, port, { app: 'peer' }));
    await helper.load(NODES, udpFlow({}));
    const get = async (q) => (await helper.request().get(`/osc/services${q}`).expect(200)).body;
    // The runtime browses from the first request on: the editor polls, and so does this test.
    let entry;
    for (const end = Date.now() + 15000; !entry; await new Promise((r) => setTimeout(r, 100))) {
      entry = (await get('')).find((s) => s.name === name);
      if (!entry && Date.now() > end) assert.fail(`${name} not listed`);
    }
    assert.deepEqual(Object.keys(entry).sort(), ['addresses', 'host', 'name', 'port', 'txt', 'type']);
    assert.equal(entry.type, '_osc._udp');
    assert.equal(entry.port, port);
    assert.ok(entry.addresses.includes('127.0.0.1'), JSON.stringify(entry));
    assert.deepEqual(entry.txt, { app: 'peer' });
    assert.ok((await get('?type=_osc._udp')).some((s) => s.name === name));
    assert.ok(!(await get('?type=_osc._tcp')).some((s) => s.name === name));
    const bad = await helper.request().get('/osc/services?type=_http._tcp').expect(400);
    assert.match(bad.body.error, /_osc\._udp/);
  });
});

describe('GET osc/services with adminAuth (a real Node-RED)', function () {
  this.timeout(60000);
  let nr;

  before(async function () {
    const bcrypt = require('bcryptjs');
    const password = bcrypt.hashSync('secret', 4);
    nr = await startNodeRed({
      flow: [{ id: 'u1', type: 'osc-udp', localAddress: '127.0.0.1', localPort: 0 }],
      settings: {
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'reader', password, permissions: 'read' },
            { username: 'nodesonly', password, permissions: ['nodes.read'] },
          ],
        },
      },
    });
  });
  after(async () => {
    if (nr) await nr.stop();
  });

  const token = (username, scope) => adminToken(nr.base, username, scope, 'secret');

  it('refuses a request without a token and one whose user cannot read flows; answers a reader', async () => {
    const anonymous = await fetch(`${nr.base}/osc/services`);
    assert.equal(anonymous.status, 401);
    await anonymous.arrayBuffer();
    const nodesOnly = await fetch(`${nr.base}/osc/services`, {
      headers: { authorization: `Bearer ${await token('nodesonly', 'nodes.read')}` },
    });
    assert.equal(nodesOnly.status, 401);
    await nodesOnly.arrayBuffer();
    const reader = await fetch(`${nr.base}/osc/services`, {
      headers: { authorization: `Bearer ${await token('reader', 'read')}` },
    });
    assert.equal(reader.status, 200);
    assert.ok(Array.isArray(await reader.json()));
  });
});
