'use strict';
// Issue 17, the client: reading a device's OSCQuery address space (src/oscquery/remote.ts) under caps, from tiny
// HTTP servers made to misbehave and from an independent implementation (the `oscquery` npm package); the
// WebSocket's PATH_CHANGED refreshing it; osc out's "Types: from device" in a Node-RED runtime sending to a UDP
// socket; the editor's admin endpoint.
const assert = require('node:assert/strict');
const http = require('node:http');
const { once } = require('node:events');
const { WebSocketServer } = require('ws');
const { OSCQueryServer, OSCTypeSimple, OSCQAccess } = require('oscquery');
const codec = require('../dist/osc/codec');
const remote = require('../dist/oscquery/remote');
const { spaceAnswer } = require('../dist/nodes/query-remote');
const { helper, UDP_NODES, recorderNode, recorded, until } = require('./helpers/nodes');
const { udpPeer, receive, freeTcpPort } = require('./helpers/net');
const oscQuery = require('../dist/nodes/osc-query');

/** An HTTP server on 127.0.0.1, port 0, answering with `handler`; closed by closeAll(). */
const servers = [];
async function serve(handler) {
  const s = http.createServer(handler);
  servers.push(s);
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}
async function closeAll() {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}
const portOf = (s) => s.address().port;

function json(res, body, type = 'application/json') {
  res.setHeader('Content-Type', type);
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function refusal(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected a refusal');
}

// A device's address space: one container, one method with every attribute the client reads.
const TREE = require('./fixtures/oscquery-tree.json');

/** A CONTENTS tree `depth` levels deep. */
function deepTree(depth) {
  /** @type {any} */
  let node = { FULL_PATH: '/x', TYPE: 'i' };
  for (let d = depth; d > 0; d--) node = { CONTENTS: { x: node } };
  return node;
}

describe('OSCQuery client: reading an address space', function () {
  afterEach(closeAll);

  it('reads the tree flat, with types, access, ranges, values and descriptions', async () => {
    const s = await serve((req, res) => json(res, req.url === '/?HOST_INFO' ? { NAME: 'dev', OSC_PORT: 9000 } : TREE));
    const { hostInfo, entries } = await remote.readAddressSpace('127.0.0.1', portOf(s));
    assert.deepEqual([...entries.keys()], ['/', '/synth', '/synth/freq']);
    assert.deepEqual(entries.get('/synth/freq'), {
      address: '/synth/freq',
      container: false,
      type: 'f',
      access: 3,
      range: [{ MIN: 20, MAX: 20000 }],
      value: [440],
      description: 'Hz',
    });
    assert.equal(entries.get('/synth').container, true);
    assert.equal(hostInfo.name, 'dev');
    assert.equal(hostInfo.oscPort, 9000);
  });

  it('follows no redirect', async () => {
    let hits = 0;
    const elsewhere = await serve((req, res) => {
      hits++;
      json(res, TREE);
    });
    const s = await serve((req, res) => {
      res.writeHead(302, { Location: `http://127.0.0.1:${portOf(elsewhere)}/` });
      res.end();
    });
    const e = await refusal(remote.fetchJson('127.0.0.1', portOf(s), '/'));
    assert.equal(e.code, 'REDIRECT');
    assert.equal(hits, 0);
  });

  it('cuts a body larger than the cap, announced or not, with an error', async () => {
    const limits = { ...remote.DEFAULT_LIMITS, maxBytes: 64 * 1024 };
    let sent = 0;
    const s = await serve((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url === '/?HOST_INFO') res.setHeader('Content-Length', String(10 * 1024 * 1024));
      // Streams without end: only the client's cap stops it.
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const pump = () => {
        while (res.write(chunk)) {
          sent += chunk.length;
          if (sent > 8 * 1024 * 1024) return res.end();
        }
        res.once('drain', pump);
      };
      pump();
    });
    const e1 = await refusal(remote.fetchJson('127.0.0.1', portOf(s), '/', limits));
    assert.equal(e1.code, 'TOO_LARGE');
    const e2 = await refusal(remote.fetchJson('127.0.0.1', portOf(s), '/?HOST_INFO', limits));
    assert.equal(e2.code, 'TOO_LARGE');
    assert.match(e2.message, /10485760 bytes/);
  });

  it('times out on a server that never answers, and on one that stops halfway', async () => {
    const limits = { ...remote.DEFAULT_LIMITS, totalTimeout: 300 };
    const silent = await serve(() => undefined);
    const e1 = await refusal(remote.fetchJson('127.0.0.1', portOf(silent), '/', limits));
    assert.equal(e1.code, 'TIMEOUT');
    const halfway = await serve((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.write('{"FULL_PATH": "/", "CONT');
    });
    const e2 = await refusal(remote.fetchJson('127.0.0.1', portOf(halfway), '/', limits));
    assert.equal(e2.code, 'TIMEOUT');
  });

  it('refuses what is not JSON: by content type, and by parse', async () => {
    const s = await serve((req, res) =>
      req.url === '/' ? json(res, '<html></html>', 'text/html') : json(res, '{"FULL_PATH": '),
    );
    const e1 = await refusal(remote.fetchJson('127.0.0.1', portOf(s), '/'));
    assert.equal(e1.code, 'NOT_JSON');
    const e2 = await refusal(remote.fetchJson('127.0.0.1', portOf(s), '/?HOST_INFO'));
    assert.equal(e2.code, 'NOT_JSON');
  });

  it('refuses a tree nested deeper than the cap or with more nodes than the cap, and keeps one within', async () => {
    const s = await serve((req, res) =>
      json(res, req.url === '/' ? deepTree(40) : req.url === '/?HOST_INFO' ? {} : {}),
    );
    const e = await refusal(remote.readAddressSpace('127.0.0.1', portOf(s)));
    assert.equal(e.code, 'TOO_DEEP');
    assert.equal(remote.parseAddressSpace(deepTree(32)).get('/x'.repeat(32)).type, 'i');
    const wide = { CONTENTS: {} };
    for (let k = 0; k < 30; k++) wide.CONTENTS[`n${k}`] = { TYPE: 'f' };
    assert.equal(refusalSync(() => remote.parseAddressSpace(wide, { maxDepth: 4, maxNodes: 20 })).code, 'TOO_MANY');
    assert.equal(remote.parseAddressSpace(wide, { maxDepth: 4, maxNodes: 31 }).size, 31);
  });

  it('refuses a closed port, an error status and a host that is not one', async () => {
    const s = await serve((req, res) => {
      res.statusCode = 404;
      res.end();
    });
    assert.equal((await refusal(remote.fetchJson('127.0.0.1', portOf(s), '/'))).code, 'HTTP_STATUS');
    const port = portOf(s);
    await closeAll();
    assert.equal((await refusal(remote.fetchJson('127.0.0.1', port, '/'))).code, 'REFUSED');
    assert.equal((await refusal(remote.fetchJson('evil.example/x?', 80, '/'))).code, 'BAD_TARGET');
    assert.equal((await refusal(remote.fetchJson('127.0.0.1', 0, '/'))).code, 'BAD_TARGET');
  });

  it('reads host:port as the osc-query node gives it, IPv6 only in brackets', () => {
    assert.deepEqual(remote.parseHostPort(' 192.168.1.20:8080 '), { host: '192.168.1.20', port: 8080 });
    assert.deepEqual(remote.parseHostPort('[::1]:9000'), { host: '::1', port: 9000 });
    assert.deepEqual(remote.parseHostPort('mixer.local:80'), { host: 'mixer.local', port: 80 });
    for (const bad of ['::1:80', 'x', 'a/b:80', 'x:0', 'x:65536', 'user@x:80', ''])
      assert.equal(refusalSync(() => remote.parseHostPort(bad)).code, 'BAD_TARGET', bad);
  });

  it('skips children that are not OSC address parts, drops bad type tags, and caps values in depth', () => {
    /** @type {any} */
    let v = 1;
    for (let k = 0; k < 1000; k++) v = [v];
    const entries = remote.parseAddressSpace({
      CONTENTS: {
        'a b': { TYPE: 'f' },
        'x*': { TYPE: 'f' },
        ok: { TYPE: ',iX', VALUE: v },
        arr: { TYPE: '[ff]i' },
        one: { TYPE: 'ff', RANGE: { MIN: 0, MAX: 1 } },
      },
    });
    assert.deepEqual([...entries.keys()], ['/', '/ok', '/arr', '/one']);
    assert.equal(entries.get('/ok').type, undefined);
    assert.equal(entries.get('/arr').type, '[ff]i');
    // One RANGE for every tag, as the proposal allows, reads as a list of one.
    assert.deepEqual(entries.get('/one').range, [{ MIN: 0, MAX: 1 }]);
    assert.doesNotThrow(() => JSON.stringify([...entries.values()]));
    assert.equal(refusalSync(() => remote.parseAddressSpace([1, 2])).code, 'BAD_SHAPE');
  });
});

function refusalSync(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected a refusal');
}

/** The `oscquery` npm package's server on 127.0.0.1, on a free HTTP port. */
async function oscqueryServer(oscPort = 9000) {
  const httpPort = await freeTcpPort();
  const server = new OSCQueryServer({
    bindAddress: '127.0.0.1',
    httpPort,
    oscPort,
    serviceName: `oqclient-test-${process.pid}`,
  });
  server.addMethod('/synth/freq', {
    description: 'frequency',
    access: OSCQAccess.READWRITE,
    arguments: [{ type: OSCTypeSimple.FLOAT, range: { min: 20, max: 20000 }, value: 440 }],
  });
  server.addMethod('/synth/on', { access: OSCQAccess.WRITEONLY, arguments: [{ type: OSCTypeSimple.TRUE }] });
  server.addMethod('/pos', { arguments: [{ type: OSCTypeSimple.INT }, { type: OSCTypeSimple.STRING }] });
  await server.start();
  return { server, port: httpPort };
}

describe('OSCQuery client against the oscquery package', function () {
  this.timeout(20000);
  let oq;
  beforeEach(async () => {
    oq = await oscqueryServer();
  });
  afterEach(async () => {
    await oq.server.stop();
  });

  it('RemoteAddressSpace reads its tree, types and HOST_INFO', async () => {
    const space = new remote.RemoteAddressSpace('127.0.0.1', oq.port);
    const changed = once(space, 'change');
    space.start();
    await changed;
    try {
      assert.equal(space.state, 'ready');
      assert.equal(space.typesOf('/synth/freq'), 'f');
      assert.equal(space.typesOf('/synth/on'), 'T');
      assert.equal(space.typesOf('/pos'), 'is');
      assert.equal(space.typesOf('/synth'), undefined);
      assert.equal(space.typesOf('/nothing'), undefined);
      const freq = space.get('/synth/freq');
      assert.deepEqual(
        [freq.access, freq.range, freq.value, freq.description],
        [3, [{ MAX: 20000, MIN: 20 }], [440], 'frequency'],
      );
      assert.equal(space.hostInfo.oscPort, 9000);
      assert.equal(space.hostInfo.extensions.RANGE, true);
      assert.equal(space.hostInfo.wsPort, undefined, 'it serves no WebSocket');
    } finally {
      space.close();
    }
  });

  it('the admin answer carries the parsed tree (and a code when the device is gone)', async () => {
    const { status, body } = /** @type {{status: number, body: any}} */ (
      await spaceAnswer({ host: '127.0.0.1', port: String(oq.port) })
    );
    assert.equal(status, 200);
    assert.deepEqual(
      body.entries
        .filter((e) => e.type)
        .map((e) => [e.address, e.type])
        .sort(),
      [
        ['/pos', 'is'],
        ['/synth/freq', 'f'],
        ['/synth/on', 'T'],
      ],
    );
    await oq.server.stop();
    const gone = /** @type {{status: number, body: any}} */ (
      await spaceAnswer({ host: '127.0.0.1', port: String(oq.port) })
    );
    assert.equal(gone.status, 502);
    assert.equal(gone.body.error.code, 'REFUSED');
    oq = await oscqueryServer();
    const bad = /** @type {{status: number, body: any}} */ (await spaceAnswer({ host: 'a/b', port: '1' }));
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'BAD_TARGET']);
  });
});

describe('OSCQuery client: refreshed on PATH_CHANGED over the WebSocket', function () {
  afterEach(closeAll);

  it('reads the tree again when the device says a path changed, added or removed', async () => {
    /** @type {any} */
    let tree = TREE;
    const s = await serve((req, res) =>
      json(
        res,
        req.url === '/?HOST_INFO' ? { EXTENSIONS: { LISTEN: true, PATH_CHANGED: true }, WS_PORT: portOf(s) } : tree,
      ),
    );
    const wss = new WebSocketServer({ server: s });
    const connected = once(wss, 'connection');
    const space = new remote.RemoteAddressSpace('127.0.0.1', portOf(s));
    try {
      const first = once(space, 'change');
      space.start();
      await first;
      const [ws] = await connected;
      assert.equal(space.typesOf('/synth/freq'), 'f');
      tree = { CONTENTS: { synth: { CONTENTS: { freq: { TYPE: 'd' } } }, gain: { TYPE: 'i' } } };
      const again = once(space, 'change');
      // Garbage and binary frames first: ignored, the socket stays.
      ws.send('not json');
      ws.send(Buffer.from([1, 2, 3]));
      ws.send(JSON.stringify({ COMMAND: 'PATH_CHANGED', DATA: '/synth/freq' }));
      await again;
      assert.equal(space.typesOf('/synth/freq'), 'd');
      assert.equal(space.typesOf('/gain'), 'i');
      tree = { CONTENTS: {} };
      const removed = once(space, 'change');
      ws.send(JSON.stringify({ COMMAND: 'PATH_REMOVED', DATA: '/gain' }));
      await removed;
      assert.equal(space.typesOf('/gain'), undefined);
    } finally {
      space.close();
      for (const c of wss.clients) c.terminate();
      wss.close();
    }
  });

  it('keeps the last tree and retries when a read fails', async () => {
    let fail = false;
    const s = await serve((req, res) => {
      if (fail) {
        res.statusCode = 500;
        return res.end();
      }
      json(res, req.url === '/?HOST_INFO' ? { WS_PORT: portOf(s) } : TREE);
    });
    const wss = new WebSocketServer({ server: s });
    const connected = once(wss, 'connection');
    const space = new remote.RemoteAddressSpace('127.0.0.1', portOf(s), { retryDelay: 20, maxRetryDelay: 40 });
    try {
      const first = once(space, 'change');
      space.start();
      await first;
      const [ws] = await connected;
      fail = true;
      const failed = once(space, 'error');
      ws.send(JSON.stringify({ COMMAND: 'PATH_ADDED', DATA: '/x' }));
      const [err] = await failed;
      assert.equal(err.code, 'HTTP_STATUS');
      assert.equal(space.state, 'error');
      assert.equal(space.typesOf('/synth/freq'), 'f', 'the last good tree stays');
      fail = false;
      await once(space, 'change');
      assert.equal(space.state, 'ready');
    } finally {
      space.close();
      for (const c of wss.clients) c.terminate();
      wss.close();
    }
  });
});

describe('osc out: Types from device (Node-RED runtime)', function () {
  this.timeout(20000);
  let dest;
  let oq;
  beforeEach(async () => {
    dest = await udpPeer();
    oq = await oscqueryServer(dest.address().port);
  });
  afterEach(async () => {
    dest.close();
    await helper.unload();
    await oq.server.stop();
  });

  function flow(out) {
    return [
      { id: 'f1', type: 'tab', label: 'test' },
      { id: 'q1', type: 'osc-query', mode: 'remote', remote: `127.0.0.1:${oq.port}` },
      {
        id: 'o1',
        z: 'f1',
        type: 'osc-out',
        endpoint: '',
        host: '127.0.0.1',
        port: dest.address().port,
        address: '',
        numbers: 'int',
        wires: [],
        ...out,
      },
      { id: 'catch1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['rec']] },
      { id: 'rec', z: 'f1', type: 'recorder' },
    ];
  }

  async function sendAll(msgs) {
    const got = receive(dest, msgs.length);
    const o1 = helper.getNode('o1');
    for (const m of msgs) o1.receive(m);
    return (await got).map((g) => codec.decodePacket(g.bytes));
  }

  it('sends a plain 1 as the float the device declares, booleans as T/F, and msg.types still wins', async () => {
    await helper.load([...UDP_NODES, oscQuery, recorderNode], flow({ typesFrom: 'device', query: 'q1' }));
    const q1 = helper.getNode('q1');
    await until(() => q1.remoteSpace && q1.remoteSpace.state === 'ready', 10000);
    const got = await sendAll([
      { topic: '/synth/freq', payload: 1 },
      { topic: '/synth/on', payload: false },
      { topic: '/pos', payload: [3, 'x'] },
      { topic: '/synth/freq', payload: 1, types: ',i' },
      { topic: '/undeclared', payload: 1 },
      // Not the declared count: typed as usual rather than refused.
      { topic: '/synth/freq', payload: [1, 2] },
    ]);
    assert.deepEqual(
      got.map((m) => [m.address, m.args.map((a) => a.type).join('')]),
      [
        ['/synth/freq', 'f'],
        ['/synth/on', 'F'],
        ['/pos', 'is'],
        ['/synth/freq', 'i'],
        ['/undeclared', 'i'],
        ['/synth/freq', 'ii'],
      ],
    );
    assert.equal(got[0].args[0].value, 1);
    assert.deepEqual(recorded('rec'), []);
  });

  it('without the property (flows from before), the same 1 goes out as today: int32', async () => {
    await helper.load([...UDP_NODES, oscQuery, recorderNode], flow({ address: '/synth/freq' }));
    const q1 = helper.getNode('q1');
    await until(() => q1.remoteSpace && q1.remoteSpace.state === 'ready', 10000);
    const [m] = await sendAll([{ payload: 1 }]);
    assert.deepEqual(m.args, [{ type: 'i', value: 1 }]);
  });

  it('a missing osc-query node is an error at deploy, and values are typed as usual', async () => {
    await helper.load(
      [...UDP_NODES, oscQuery, recorderNode],
      flow({ typesFrom: 'device', query: 'nope', address: '/synth/freq' }),
    );
    const o1 = helper.getNode('o1');
    await until(() => o1.error.getCalls().some((c) => /nope does not exist/.test(String(c.args[0]))), 5000);
    const [m] = await sendAll([{ payload: 1 }]);
    assert.deepEqual(m.args, [{ type: 'i', value: 1 }]);
  });

  it('GET osc/query/space answers the editor with the device tree', async () => {
    await helper.load([...UDP_NODES, oscQuery, recorderNode], flow({}));
    const res = await helper.request().get(`/osc/query/space?host=127.0.0.1&port=${oq.port}`).expect(200);
    assert.ok(res.body.entries.some((e) => e.address === '/synth/freq' && e.type === 'f'));
    const bad = await helper.request().get('/osc/query/space?host=127.0.0.1&port=0').expect(400);
    assert.equal(bad.body.error.code, 'BAD_TARGET');
  });
});
