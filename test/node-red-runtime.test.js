'use strict';
// Our nodes in a real Node-RED (a child process, as users run it), for what only a real runtime shows: the
// runtime texts come from the message catalogue through RED._ under the node file's namespace (a translation
// added to a copy of the package shows in the status and the errors, and no key shows anywhere), and an osc in
// whose port is taken reaches a Catch node; an error reads as one sentence, in msg.error.message for a Catch node
// and whole, as a string, in the debug sidebar. What the flow sees comes back to the test as OSC, through osc-out.
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');
const codec = require('../dist/osc/codec');
const { startNodeRed } = require('./helpers/node-red-child');
const { asMessage } = require('./helpers/osc');

const root = path.resolve(__dirname, '..');

function udpSocket() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

/** Every OSC message `socket` receives, as [address, ...values]; wait(address) resolves with the first of that address. */
function reports(socket) {
  const got = [];
  const waiters = [];
  socket.on('message', (data) => {
    const p = asMessage(codec.decodePacket(data));
    const m = [p.address, ...p.args.map((a) => a.value)];
    got.push(m);
    for (const w of waiters.splice(0)) {
      if (w.test(m)) w.resolve(m);
      else waiters.push(w);
    }
  });
  return {
    got,
    /**
     * @param {string} address
     * @param {(m: any[]) => boolean} [test]
     */
    wait: (address, test = () => true) =>
      new Promise((resolve) => {
        const match = (m) => m[0] === address && test(m);
        const hit = got.find(match);
        if (hit) resolve(hit);
        else waiters.push({ test: match, resolve });
      }),
  };
}

/** An osc out on tab1 to 127.0.0.1:`port` (the test's socket), with no address of its own: msg.topic gives it. */
function oscOutTo(id, port) {
  return {
    id,
    type: 'osc-out',
    z: 'tab1',
    host: '127.0.0.1',
    port: String(port),
    address: '',
    numbers: 'int',
    wires: [],
  };
}

/** A function node on tab1 running `func` (which sets msg.topic and msg.payload) and wired to the osc out `report`. */
function toReport(id, func) {
  return { id, type: 'function', z: 'tab1', outputs: 1, func, wires: [['report']] };
}

/**
 * osc-in on a taken port; a Catch node and a Status node scoped to it, each turned into an OSC message sent to the
 * test by osc-out: "/caught" code message endpoint source, "/status" text. The reporting nodes come first, so
 * they run before the osc in does.
 */
function flow({ busyPort, reportPort }) {
  return [
    { id: 'tab1', type: 'tab', label: 'runtime' },
    oscOutTo('report', reportPort),
    toReport(
      'fnCatch',
      "msg.topic = '/caught'; msg.payload = [String(msg.error.code), String(msg.error.message), String(msg.endpoint), String(msg.error.source.id)]; delete msg.osc; return msg;",
    ),
    { id: 'catch1', type: 'catch', z: 'tab1', scope: ['inBusy'], uncaught: false, wires: [['fnCatch']] },
    toReport(
      'fnStatus',
      "msg.topic = '/status'; msg.payload = String((msg.status && msg.status.text) || ''); delete msg.osc; return msg;",
    ),
    { id: 'status1', type: 'status', z: 'tab1', scope: ['inBusy'], wires: [['fnStatus']] },
    { id: 'udpBusy', type: 'osc-udp', localAddress: '127.0.0.1', localPort: busyPort, ipv: 'udp4' },
    { id: 'inBusy', type: 'osc-in', z: 'tab1', endpoint: 'udpBusy', wires: [] },
  ];
}

/** What the runtime publishes to the editor's debug sidebar (topic "debug"), through the comms websocket. */
async function debugSidebar(base) {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/comms`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const got = [];
  const waiters = [];
  ws.on('message', (data) => {
    for (const m of JSON.parse(String(data))) {
      if (m.topic !== 'debug') continue;
      got.push(m.data);
      for (const w of waiters.splice(0)) {
        if (w.test(m.data)) w.resolve(m.data);
        else waiters.push(w);
      }
    }
  });
  ws.send(JSON.stringify({ subscribe: 'debug' }));
  return {
    close: () => ws.close(),
    wait: (test) =>
      new Promise((resolve) => {
        const hit = got.find(test);
        if (hit) resolve(hit);
        else waiters.push({ test, resolve });
      }),
  };
}

describe('our nodes in a real Node-RED: catalogue texts, and a taken port for Catch nodes', function () {
  this.timeout(60000);
  let nr;
  let holder;
  let rx;
  let copy;
  beforeEach(async () => {
    holder = await udpSocket();
    rx = await udpSocket();
  });
  afterEach(async () => {
    if (nr) await nr.stop();
    nr = undefined;
    holder.close();
    rx.close();
    if (copy) fs.rmSync(copy, { recursive: true, force: true });
    copy = undefined;
  });

  it('renders the English catalogue: a taken port reaches the Catch node as one sentence, the status reads, no key shows', async () => {
    const busyPort = holder.address().port;
    const seen = reports(rx);
    nr = await startNodeRed({ flow: flow({ busyPort, reportPort: rx.address().port }) });
    const caught = await seen.wait('/caught');
    assert.deepEqual(caught, [
      '/caught',
      'EADDRINUSE',
      `cannot listen on 127.0.0.1:${busyPort}: port ${busyPort} is already in use by another program or node (EADDRINUSE)`,
      `127.0.0.1:${busyPort}`,
      'inBusy',
    ]);
    assert.deepEqual(await seen.wait('/status', (m) => /in use/.test(m[1])), ['/status', `port ${busyPort} in use`]);
    assert.doesNotMatch(nr.log(), /\.runtime\./, 'no catalogue key in the log');
    assert.equal(seen.got.filter((m) => m[0] === '/caught').length, 1);
  });

  it('words an error as one sentence: msg.error.message for a Catch node, a whole string in the debug sidebar', async () => {
    const reportPort = rx.address().port;
    const seen = reports(rx);
    // Two osc-outs given a msg without an OSC address (the long NO_ADDRESS sentence): one caught, one not.
    nr = await startNodeRed({
      flow: [
        { id: 'tab1', type: 'tab', label: 'errors' },
        oscOutTo('report', reportPort),
        toReport(
          'fnCatch',
          "msg.topic = '/caught'; msg.payload = [String(msg.error.code), String(msg.error.message)]; delete msg.osc; return msg;",
        ),
        { id: 'catch1', type: 'catch', z: 'tab1', scope: ['caughtOut'], uncaught: false, wires: [['fnCatch']] },
        oscOutTo('caughtOut', reportPort),
        oscOutTo('lonelyOut', reportPort),
        {
          id: 'go',
          type: 'inject',
          z: 'tab1',
          props: [{ p: 'payload' }],
          payload: '1',
          payloadType: 'num',
          repeat: '',
          once: false,
          wires: [['caughtOut', 'lonelyOut']],
        },
      ],
    });
    const sidebar = await debugSidebar(nr.base);
    try {
      const res = await fetch(`${nr.base}/inject/go`, { method: 'POST' });
      assert.equal(res.status, 200);
      const sentence =
        'no OSC address: set the Address of the node, or msg.topic, or send a string such as "/path 1 2.5 foo"';
      assert.deepEqual(
        await seen.wait('/caught'),
        ['/caught', 'NO_ADDRESS', sentence],
        'no "OscOutputError: " in front, the code beside it',
      );
      const shown = await sidebar.wait((d) => d.id === 'lonelyOut');
      assert.equal(shown.level, 20, 'an error');
      assert.equal(shown.msg, sentence, 'the whole sentence, as a string: not an Error object cut at 80 characters');
      assert.notEqual(shown.format, 'error');
      assert.match(nr.log(), /\[error\] \[osc-out:lonelyOut\] no OSC address: set the Address of the node/);
    } finally {
      sidebar.close();
    }
  });

  it("renders a translation added to the package: RED._ resolves our keys in the node file's namespace", async () => {
    // A copy of the package with a Dutch osc-in catalogue of two texts; everything else falls back to en-US. Dutch,
    // because Node-RED has no Dutch catalogue of its own: its log stays English, which startNodeRed() reads.
    copy = fs.mkdtempSync(path.join(os.tmpdir(), 'oscflow-package-'));
    fs.copyFileSync(path.join(root, 'package.json'), path.join(copy, 'package.json'));
    fs.cpSync(path.join(root, 'dist'), path.join(copy, 'dist'), { recursive: true });
    fs.mkdirSync(path.join(copy, 'dist', 'nodes', 'locales', 'nl'), { recursive: true });
    fs.writeFileSync(
      path.join(copy, 'dist', 'nodes', 'locales', 'nl', 'osc-in.json'),
      JSON.stringify({
        'osc-in': {
          runtime: {
            endpoint: { EADDRINUSE: { udp: 'poort __port__ op __where__ is al in gebruik' } },
            'endpoint-short': { EADDRINUSE: { udp: 'poort __port__ bezet' } },
          },
        },
      }),
    );
    const busyPort = holder.address().port;
    const seen = reports(rx);
    nr = await startNodeRed({
      flow: flow({ busyPort, reportPort: rx.address().port }),
      packageDir: copy,
      settings: { lang: 'nl' },
    });
    const caught = await seen.wait('/caught');
    assert.equal(caught[1], 'EADDRINUSE', 'the code stays as it is: flows match on it');
    assert.equal(caught[2], `poort ${busyPort} op 127.0.0.1:${busyPort} is al in gebruik`);
    assert.deepEqual(await seen.wait('/status', (m) => /bezet/.test(m[1])), ['/status', `poort ${busyPort} bezet`]);
    assert.doesNotMatch(nr.log(), /\.runtime\./);
  });
});
