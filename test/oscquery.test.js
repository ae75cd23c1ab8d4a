'use strict';
// The osc-query server (src/oscquery) over real sockets on 127.0.0.1: one test per rule of the OSCQuery proposal
// (third revision) it follows, the values kept from the endpoint's traffic, the WebSocket (LISTEN, IGNORE, OSC in,
// PATH_* on a redeploy), its caps, and an independent client (the `oscquery` npm package) reading it.
const assert = require('node:assert/strict');
const net = require('node:net');
const { once } = require('node:events');
const { WebSocket } = require('ws');
const { OSCQueryDiscovery } = require('oscquery');
const { OscQueryServer } = require('../dist/oscquery/server');
const { AddressSpace, SpaceError } = require('../dist/oscquery/space');
const { answer } = require('../dist/oscquery/http');
const { parseCommand } = require('../dist/oscquery/commands');
const { QueryService } = require('../dist/oscquery/service');
const { closeParked, parkedCount } = require('../dist/oscquery/registry');
const { setDiscovery } = require('../dist/oscquery/advertise');
const { routeAddresses } = require('../dist/oscquery/routes');
const { parseAllowList } = require('../dist/transport/allowlist');
const { udpEndpointHolder } = require('../dist/transport/udp');
const { encodePacket, decodePacket } = require('../dist/osc/codec');
const { udpPeer, sendTo } = require('./helpers/net');
const { asMessage } = require('./helpers/osc');

const TABLE = [
  { address: '/foo', types: 'f', access: 'r', min: 0, max: 100, unit: 'distance.m', description: 'read only' },
  { address: '/bar', types: 'ii', access: 'rw' },
  { address: '/baz/qux', types: 's', access: 'rw', description: 'in a container' },
  { address: '/set', types: 'f', access: 'w' },
];

const quiet = {
  log() {},
  warn() {},
  error(t) {
    throw new Error(`unexpected error: ${t}`);
  },
};

async function serve(options = {}, table = TABLE) {
  const server = new OscQueryServer(
    { port: 0, localAddress: '127.0.0.1', allow: parseAllowList(''), websocket: true, name: 'test', ...options },
    new AddressSpace(table),
  );
  await server.listen();
  return server;
}

async function get(server, target, init) {
  const r = await fetch(server.url + target, init);
  const text = await r.text();
  return { status: r.status, body: text === '' ? undefined : JSON.parse(text), type: r.headers.get('content-type') };
}

function wsOpen(url, options) {
  const ws = new WebSocket(url.replace('http', 'ws'), options);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
  });
}

/** The next frame a WebSocket receives: { binary, data }. */
function nextFrame(ws) {
  return new Promise((resolve) => ws.once('message', (data, binary) => resolve({ binary, data })));
}

function frames(ws, n) {
  return new Promise((resolve) => {
    const got = [];
    const on = (data, binary) => {
      got.push(binary ? decodePacket(data) : JSON.parse(data.toString()));
      if (got.length === n) {
        ws.off('message', on);
        resolve(got);
      }
    };
    ws.on('message', on);
  });
}

/** A UDP endpoint open on 127.0.0.1, as osc-udp holds it, with a receiver that records what osc in would get. */
async function udpEndpoint(allow = '') {
  const holder = udpEndpointHolder({ localAddress: '127.0.0.1', localPort: 0, allow });
  const received = [];
  const waiters = [];
  const handle = holder.register({
    onMessage(data, from) {
      received.push({ packet: decodePacket(data), from });
      for (const w of waiters.splice(0)) w();
    },
  });
  while (handle.endpoint.state !== 'open') await new Promise((r) => setImmediate(r));
  const next = () => new Promise((r) => waiters.push(r));
  return { holder, handle, endpoint: handle.endpoint, received, next };
}

/** Resolves once `fn()` holds, checking after each turn of the event loop (no fixed sleep). */
async function until(fn) {
  while (!fn()) await new Promise((r) => setImmediate(r));
}

describe('OSCQuery: the address space', () => {
  it('builds the containers the addresses imply and refuses a bad row with its number', () => {
    const s = new AddressSpace(TABLE);
    assert.deepEqual([...s.root.children.keys()], ['foo', 'bar', 'baz', 'set']);
    assert.equal(s.find('/baz/qux').method.types, 's');
    assert.equal(s.find('/baz').method, undefined);
    /** @type {Array<{ row: Record<string, unknown>, why: RegExp }>} */
    const bad = [
      { row: { address: '/a/*', types: 'f' }, why: /wildcards/ },
      { row: { address: 'nope', types: 'f' }, why: /./ },
      { row: { address: '/a', types: ',x' }, why: /type tags/ },
      { row: { address: '/a', types: '[f' }, why: /not closed/ },
      { row: { address: '/a', min: 'x' }, why: /not a number/ },
      { row: { address: '/a', min: 2, max: 1 }, why: /above max/ },
    ];
    for (const { row, why } of bad) {
      assert.throws(
        () => new AddressSpace([{ address: '/ok', types: '' }, row]),
        (e) => e instanceof SpaceError && e.row === 2 && why.test(e.message),
      );
    }
    assert.throws(() => new AddressSpace([{ address: '/a' }, { address: '/a' }]), /twice/);
  });

  it('takes the literal rules of osc route nodes wired from an osc in on the endpoint, skipping wildcards', () => {
    const defs = [
      { id: 'in1', type: 'osc-in', endpoint: 'udp1', wires: [['r1']] },
      { id: 'in2', type: 'osc-in', endpoint: 'other', wires: [['r2']] },
      {
        id: 'r1',
        type: 'osc-route',
        rules: [{ pattern: '/avatar/change' }, { pattern: '/fader/*' }, { pattern: '/a//b' }],
      },
      { id: 'r2', type: 'osc-route', rules: [{ pattern: '/not/ours' }] },
    ];
    assert.deepEqual(routeAddresses(defs, 'udp1'), ['/avatar/change']);
    const s = new AddressSpace([{ address: '/avatar/change', types: 's' }], ['/avatar/change', '/x']);
    assert.equal(s.find('/avatar/change').method.types, 's', 'the table wins');
    assert.equal(s.find('/x').method.types, undefined, 'a rule has no types: no TYPE');
  });
});

describe('OSCQuery: the proposal, rule by rule (HTTP)', () => {
  let server;
  before(async () => {
    server = await serve();
  });
  after(() => server.close());

  it('/ returns the whole tree as JSON: FULL_PATH everywhere, CONTENTS for containers, TYPE without a comma', async () => {
    const r = await get(server, '/');
    assert.equal(r.status, 200);
    assert.equal(r.type, 'application/json');
    assert.equal(r.body.FULL_PATH, '/');
    assert.equal(r.body.CONTENTS.baz.FULL_PATH, '/baz');
    assert.equal(r.body.CONTENTS.baz.CONTENTS.qux.FULL_PATH, '/baz/qux');
    assert.equal(r.body.CONTENTS.bar.TYPE, 'ii');
    assert.equal(r.body.CONTENTS.baz.TYPE, undefined);
    assert.equal(r.body.CONTENTS.foo.CONTENTS, undefined, 'a method has no CONTENTS');
  });

  it('the path is the OSC address: /baz returns that node and what it contains', async () => {
    const r = await get(server, '/baz');
    assert.equal(r.body.FULL_PATH, '/baz');
    assert.deepEqual(Object.keys(r.body.CONTENTS), ['qux']);
  });

  it('a query names one attribute: ?RANGE, ?UNIT, ?ACCESS, ?DESCRIPTION, ?TYPE, ?FULL_PATH, ?CONTENTS', async () => {
    assert.deepEqual((await get(server, '/foo?RANGE')).body, { RANGE: [{ MIN: 0, MAX: 100 }] });
    assert.deepEqual((await get(server, '/foo?UNIT')).body, { UNIT: ['distance.m'] });
    assert.deepEqual((await get(server, '/foo?ACCESS')).body, { ACCESS: 1 });
    assert.deepEqual((await get(server, '/foo?DESCRIPTION')).body, { DESCRIPTION: 'read only' });
    assert.deepEqual((await get(server, '/bar?TYPE')).body, { TYPE: 'ii' });
    assert.deepEqual((await get(server, '/baz/qux?FULL_PATH')).body, { FULL_PATH: '/baz/qux' });
    assert.deepEqual(Object.keys((await get(server, '/baz?CONTENTS')).body.CONTENTS), ['qux']);
  });

  it('an attribute a node does not have is an empty object (the container /baz has no TYPE)', async () => {
    assert.deepEqual(await get(server, '/baz?TYPE'), { status: 200, body: {}, type: 'application/json' });
    assert.deepEqual((await get(server, '/bar?RANGE')).body, {});
  });

  it('404: no container or method at the path', async () => {
    assert.equal((await get(server, '/bazzzzz?TYPE')).status, 404);
    assert.equal((await get(server, '/baz/qux/deeper')).status, 404);
  });

  it('400: an unknown attribute, or one this server does not support (listed false in EXTENSIONS)', async () => {
    assert.equal((await get(server, '/foo?NOPE')).status, 400);
    assert.equal((await get(server, '/foo?TAGS')).status, 400);
    assert.equal((await get(server, '/foo?toString')).status, 400);
  });

  it('204: VALUE of a node whose value may not be read (write-only, or a container); {} while there is none yet', async () => {
    assert.deepEqual(await get(server, '/set?VALUE'), { status: 204, body: undefined, type: null });
    assert.equal((await get(server, '/baz?VALUE')).status, 204);
    assert.deepEqual((await get(server, '/foo?VALUE')).body, {});
  });

  it('HOST_INFO ignores the path; names the OSC side, and WS_IP/WS_PORT and LISTEN only when the WebSocket is served', async () => {
    const on = (await get(server, '/whatever/path?HOST_INFO')).body;
    assert.equal(on.NAME, 'test');
    assert.equal(on.WS_PORT, server.port);
    assert.equal(on.WS_IP, '127.0.0.1');
    assert.equal(on.EXTENSIONS.LISTEN, true);
    assert.equal(on.EXTENSIONS.VALUE, true);
    assert.equal(on.EXTENSIONS.TAGS, false);
    const off = await serve({ websocket: false });
    try {
      const info = (await get(off, '/?HOST_INFO')).body;
      assert.equal('WS_IP' in info, false);
      assert.equal('WS_PORT' in info, false);
      assert.equal(info.EXTENSIONS.LISTEN, false);
      assert.equal(info.EXTENSIONS.PATH_CHANGED, false);
      // And there is really no WebSocket to connect to.
      await assert.rejects(wsOpen(off.url), /404/);
    } finally {
      await off.close();
    }
  });

  it('the fragment is stripped, a trailing slash and percent-encoding are read, HEAD has no body', async () => {
    assert.equal(answer(server.addressSpace, 'GET', '/baz#x', () => ({ EXTENSIONS: {} })).status, 200);
    assert.equal((await get(server, '/baz/')).body.FULL_PATH, '/baz');
    assert.equal((await get(server, '/ba%7A')).body.FULL_PATH, '/baz');
    assert.equal((await get(server, '/%E0%A4%A')).status, 400);
    const head = await fetch(server.url + '/', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('405 for other methods, 413 for a body, 414 for a huge target', async () => {
    assert.equal((await get(server, '/', { method: 'DELETE' })).status, 405);
    const sock = net.connect(server.port, '127.0.0.1');
    await once(sock, 'connect');
    let reply = '';
    sock.on('data', (d) => (reply += d));
    sock.write('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc');
    await once(sock, 'close');
    assert.match(reply, /^HTTP\/1\.1 413 /);
    assert.equal(answer(server.addressSpace, 'GET', '/' + 'a'.repeat(5000), () => ({ EXTENSIONS: {} })).status, 414);
  });
});

describe('OSCQuery: caps on what the LAN may send', () => {
  it('the allow-list refuses a client before anything is read', async () => {
    const server = await serve({ allow: parseAllowList('10.1.2.3') });
    try {
      await assert.rejects(fetch(server.url + '/'));
      assert.equal(server.counters.refused, 1);
      assert.equal(server.counters.requests, 0);
    } finally {
      await server.close();
    }
  });

  it('a slowloris connection (headers never finished) is closed after the headers timeout', async function () {
    const server = await serve({ limits: { headersTimeoutMs: 200, requestTimeoutMs: 300 } });
    try {
      const sock = net.connect(server.port, '127.0.0.1');
      await once(sock, 'connect');
      sock.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      sock.on('data', () => {});
      await once(sock, 'close');
    } finally {
      await server.close();
    }
  });

  it('oversized headers are refused with 431 and the connection closed', async () => {
    const server = await serve();
    try {
      const sock = net.connect(server.port, '127.0.0.1');
      await once(sock, 'connect');
      let reply = '';
      sock.on('data', (d) => (reply += d));
      sock.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`);
      await once(sock, 'close');
      assert.match(reply, /^HTTP\/1\.1 431 /);
    } finally {
      await server.close();
    }
  });

  it('connections beyond maxConnections are dropped; the others are served', async () => {
    const server = await serve({ limits: { maxConnections: 2 } });
    const socks = [];
    try {
      for (let i = 0; i < 2; i++) {
        const s = net.connect(server.port, '127.0.0.1');
        await once(s, 'connect');
        socks.push(s);
      }
      const third = net.connect(server.port, '127.0.0.1');
      third.on('error', () => {});
      await once(third, 'close');
      socks[0].destroy();
      await once(socks[0], 'close');
      // The slot is free again once the server has seen the close.
      let ok;
      for (let i = 0; i < 50 && !ok; i++) ok = await get(server, '/').catch(() => undefined);
      assert.equal(ok.status, 200);
    } finally {
      for (const s of socks) s.destroy();
      await server.close();
    }
  });

  it('the WebSocket refuses pages from other origins, and commands are read strictly', async () => {
    const server = await serve();
    try {
      await assert.rejects(wsOpen(server.url, { origin: 'http://evil.example' }), /403/);
      const ws = await wsOpen(server.url, { origin: server.url });
      ws.close();
    } finally {
      await server.close();
    }
    assert.deepEqual(parseCommand('{"COMMAND":"LISTEN","DATA":"/foo"}'), { command: 'LISTEN', path: '/foo' });
    for (const bad of [
      '',
      'null',
      '[]',
      '{"COMMAND":"LISTEN"}',
      '{"COMMAND":"LISTEN","DATA":3}',
      '{"COMMAND":"RM","DATA":"/"}',
    ])
      assert.ok('error' in parseCommand(bad), bad);
    assert.ok('error' in parseCommand(`{"COMMAND":"LISTEN","DATA":"/${'a'.repeat(5000)}"}`));
  });

  it('a WebSocket message over maxPayload closes that connection only', async () => {
    const server = await serve({ limits: { maxPayload: 1024 } });
    try {
      const ws = await wsOpen(server.url);
      ws.send(Buffer.alloc(4096), { binary: true });
      const [code] = await once(ws, 'close');
      assert.equal(code, 1009);
      assert.equal((await get(server, '/')).status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('OSCQuery: values, the WebSocket and redeploys, with a real endpoint', () => {
  let ep;
  let peer;
  const services = [];
  /**
   * @param {Array<Record<string, unknown>>} [table]
   * @param {string} [id]
   * @param {Record<string, unknown>} [config]
   */
  function start(table = TABLE, id = 'q1', config = {}) {
    const svc = new QueryService(
      id,
      'test',
      { port: 0, localAddress: '127.0.0.1', advertise: false, methods: table, ...config },
      [],
      ep.holder,
      quiet,
    );
    services.push(svc);
    return svc;
  }
  beforeEach(async () => {
    ep = await udpEndpoint();
    peer = await udpPeer();
  });
  afterEach(async () => {
    for (const s of services.splice(0)) await s.close(true);
    await closeParked();
    peer.close();
    await ep.handle.release();
  });

  it('VALUE is the last value received on the address through the endpoint, in a bundle too; others cost nothing', async () => {
    const svc = start();
    await svc.started;
    const server = svc.httpServer;
    const info = (await get(server, '/?HOST_INFO')).body;
    assert.equal(info.OSC_PORT, ep.endpoint.address.port);
    assert.equal(info.OSC_IP, '127.0.0.1');
    assert.equal(info.OSC_TRANSPORT, 'UDP');
    await sendTo(peer, encodePacket({ address: '/foo', args: [{ type: 'f', value: 0.5 }] }), info.OSC_PORT);
    await sendTo(
      peer,
      encodePacket({
        timetag: 1,
        packets: [
          {
            address: '/bar',
            args: [
              { type: 'i', value: 4 },
              { type: 'i', value: 51 },
            ],
          },
          { address: '/undeclared', args: [1] },
        ],
      }),
      info.OSC_PORT,
    );
    await until(() => ep.received.length === 2);
    assert.deepEqual((await get(server, '/foo?VALUE')).body, { VALUE: [0.5] });
    assert.deepEqual((await get(server, '/bar?VALUE')).body, { VALUE: [4, 51] });
    assert.deepEqual((await get(server, '/')).body.CONTENTS.foo.VALUE, [0.5]);
  });

  it('VALUE follows what is sent through the endpoint (osc out) too', async () => {
    const svc = start();
    await svc.started;
    await new Promise((r, j) =>
      ep.handle.send(encodePacket({ address: '/baz/qux', args: ['full'] }), peer.address().port, '127.0.0.1', (e) =>
        e ? j(e) : r(),
      ),
    );
    assert.deepEqual((await get(svc.httpServer, '/baz/qux?VALUE')).body, { VALUE: ['full'] });
  });

  it('LISTEN streams the messages of that address as binary OSC; IGNORE stops it', async () => {
    const svc = start();
    await svc.started;
    const ws = await wsOpen(svc.httpServer.url);
    try {
      ws.send(JSON.stringify({ COMMAND: 'LISTEN', DATA: '/foo' }));
      ws.send(JSON.stringify({ COMMAND: 'LISTEN', DATA: '/bar' }));
      ws.send(JSON.stringify({ COMMAND: 'LISTEN', DATA: '/undeclared' }));
      const port = ep.endpoint.address.port;
      const first = nextFrame(ws);
      const server = svc.httpServer;
      await until(() => server.listenerCount('/foo') === 1 && server.listenerCount('/bar') === 1);
      assert.equal(server.listenerCount('/undeclared'), 0, 'only declared methods can be listened to');
      await sendTo(peer, encodePacket({ address: '/undeclared', args: [1] }), port);
      await sendTo(peer, encodePacket({ address: '/foo', args: [{ type: 'f', value: 2 }] }), port);
      const f = await first;
      assert.equal(f.binary, true);
      assert.deepEqual(decodePacket(f.data), { address: '/foo', args: [{ type: 'f', value: 2 }] });
      ws.send(JSON.stringify({ COMMAND: 'IGNORE', DATA: '/foo' }));
      // /bar is still listened to: after IGNORE /foo, the next frame is /bar's, not /foo's.
      const next = nextFrame(ws);
      await until(() => server.listenerCount('/foo') === 0);
      await sendTo(peer, encodePacket({ address: '/foo', args: [{ type: 'f', value: 3 }] }), port);
      await sendTo(peer, encodePacket({ address: '/bar', args: [1, 2] }), port);
      assert.equal(asMessage(decodePacket((await next).data)).address, '/bar');
    } finally {
      ws.terminate();
    }
  });

  it("OSC a client sends as a binary frame reaches the endpoint's receivers as from that client", async () => {
    const svc = start();
    await svc.started;
    const ws = await wsOpen(svc.httpServer.url);
    try {
      const got = ep.next();
      ws.send(encodePacket({ address: '/bar', args: [7, 8] }), { binary: true });
      await got;
      assert.equal(ep.received[0].packet.address, '/bar');
      assert.equal(ep.received[0].from.address, '127.0.0.1');
      assert.equal(ep.received[0].from.port, ws._socket.localPort);
      // It passed the endpoint, so its value is kept like any other.
      assert.deepEqual((await get(svc.httpServer, '/bar?VALUE')).body, { VALUE: [7, 8] });
    } finally {
      ws.terminate();
    }
  });

  it('a redeploy that changes the table keeps the server and its WebSocket clients, and tells them PATH_ADDED, PATH_REMOVED, PATH_CHANGED', async () => {
    const first = start(TABLE, 'redeploy');
    await first.started;
    const server = first.httpServer;
    const port = server.port;
    const ws = await wsOpen(server.url);
    try {
      const told = frames(ws, 3);
      await first.close(false);
      services.splice(services.indexOf(first), 1);
      assert.equal(parkedCount(), 1);
      const changed = [
        { ...TABLE[0], description: 'now described otherwise' },
        TABLE[1],
        TABLE[2],
        { address: '/new/one', types: 'T' },
      ];
      const second = start(changed, 'redeploy', { port: 0 });
      await second.started;
      assert.equal(second.httpServer, server, 'the same server, adopted');
      assert.equal(server.port, port);
      assert.deepEqual(
        (await told).sort((a, b) => a.COMMAND.localeCompare(b.COMMAND)),
        [
          { COMMAND: 'PATH_ADDED', DATA: '/new/one' },
          { COMMAND: 'PATH_CHANGED', DATA: '/foo' },
          { COMMAND: 'PATH_REMOVED', DATA: '/set' },
        ],
      );
      assert.equal((await get(server, '/set')).status, 404);
      assert.equal((await get(server, '/new/one?TYPE')).body.TYPE, 'T');
    } finally {
      ws.terminate();
    }
  });

  it('a removed node closes its server; a redeploy with another port replaces it', async () => {
    const a = start(TABLE, 'gone');
    await a.started;
    const url = a.httpServer.url;
    await a.close(true);
    services.splice(services.indexOf(a), 1);
    assert.equal(parkedCount(), 0);
    await assert.rejects(fetch(url + '/'));
  });

  it('the advertisements go through the discovery facade: _oscjson._tcp for HTTP, _osc._udp for the OSC port', async () => {
    const ads = [];
    setDiscovery({
      advertise(o) {
        const ad = { ...o, closed: false, close: async () => void (ad.closed = true) };
        ads.push(ad);
        return ad;
      },
    });
    try {
      const svc = start(TABLE, 'ads', { advertise: true, serviceName: 'My Flow' });
      await svc.started;
      await until(() => ads.length === 2);
      assert.deepEqual(
        ads.map((a) => [a.type, a.name, a.port]),
        [
          ['_oscjson._tcp', 'My Flow', svc.httpServer.port],
          ['_osc._udp', 'My Flow', ep.endpoint.address.port],
        ],
      );
      await svc.close(true);
      services.splice(services.indexOf(svc), 1);
      assert.ok(ads.every((a) => a.closed));
    } finally {
      setDiscovery(undefined);
    }
  });

  it("the oscquery npm package's mDNS discovery finds the advertised server and reads it (the real discovery facade)", async function () {
    this.timeout(20000);
    const name = `oscflow test ${process.pid}`;
    // Every interface, as advertised by default, but only this machine may connect.
    const svc = start(TABLE, 'mdns', { advertise: true, serviceName: name, localAddress: '', allow: '127.0.0.1' });
    await svc.started;
    const discovery = new OSCQueryDiscovery();
    discovery.on('error', () => {});
    try {
      const found = await new Promise((resolve) => {
        discovery.on('up', (/** @type {any} */ s) => {
          if (s.port === svc.httpServer.port) resolve(s);
        });
        discovery.start();
      });
      assert.equal(found.hostInfo.name, name);
      assert.equal(found.hostInfo.oscPort, ep.endpoint.address.port);
      assert.deepEqual(
        found
          .flat()
          .map((/** @type {any} */ m) => m.full_path)
          .sort(),
        ['/bar', '/baz/qux', '/foo', '/set'],
      );
    } finally {
      discovery.stop();
    }
  });

  it('the oscquery npm package (an independent client) reads HOST_INFO, the tree, and VALUE after a message passed', async () => {
    const svc = start();
    await svc.started;
    const port = ep.endpoint.address.port;
    await sendTo(peer, encodePacket({ address: '/foo', args: [{ type: 'f', value: 42 }] }), port);
    await until(() => ep.received.length === 1);
    const service = await new OSCQueryDiscovery().queryNewService('127.0.0.1', svc.httpServer.port);
    assert.equal(service.hostInfo.name, 'test');
    assert.equal(service.hostInfo.oscPort, port);
    assert.equal(service.hostInfo.oscTransport, 'UDP');
    assert.equal(service.hostInfo.wsPort, svc.httpServer.port);
    const flat = service
      .flat()
      .map((m) => m.full_path)
      .sort();
    assert.deepEqual(flat, ['/bar', '/baz/qux', '/foo', '/set']);
    assert.equal(service.resolvePath('/foo').getValue(0), 42);
    assert.equal(service.resolvePath('/baz/qux').getValue(0) ?? null, null, 'no value yet');
  });
});

describe('EndpointBase.deliver: OSC from a peer that did not come through the socket', () => {
  it("reaches taps and receivers as from that peer; refused when the endpoint's allow-list refuses the peer", async () => {
    const open = await udpEndpoint('10.0.0.0/8');
    try {
      const tapped = [];
      open.endpoint.tap((dir, data, peer) => tapped.push([dir, peer.address]));
      assert.equal(
        open.endpoint.deliver(encodePacket({ address: '/x', args: [] }), { address: '127.0.0.1', port: 5 }),
        false,
      );
      assert.equal(
        open.endpoint.deliver(encodePacket({ address: '/x', args: [1] }), { address: '10.1.2.3', port: 5 }),
        true,
      );
      assert.deepEqual(
        open.received.map((r) => [r.packet.address, r.from.address, r.from.port]),
        [['/x', '10.1.2.3', 5]],
      );
      assert.deepEqual(tapped, [['in', '10.1.2.3']]);
    } finally {
      await open.handle.release();
    }
    assert.equal(
      open.endpoint.deliver(Buffer.from('/x\0\0,\0\0\0'), { address: '10.1.2.3', port: 5 }),
      false,
      'closed',
    );
  });
});
