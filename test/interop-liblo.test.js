'use strict';
// Interop with liblo, the C reference implementation: its oscsend into osc-in, and osc-out into its oscdump,
// over every type liblo knows. Needs liblo-tools (.ci/run installs it).
const assert = require('node:assert/strict');
const { execFile, spawn } = require('node:child_process');
const udp = require('../dist/transport/udp');
const { helper, UDP_NODES, waitStatus } = require('./helpers/nodes');
const { freeUdpPort } = require('./helpers/net');

const OSCSEND = '/usr/bin/oscsend';
const OSCDUMP = '/usr/bin/oscdump';

function oscsend(port, address, types, ...values) {
  const args = ['127.0.0.1', String(port), address];
  if (types !== undefined) args.push(types, ...values);
  return new Promise((resolve, reject) =>
    execFile(OSCSEND, args, (err, stdout, stderr) =>
      err ? reject(new Error(`oscsend failed: ${stderr || err.message}`)) : resolve(),
    ),
  );
}

function nextMsg(node) {
  return new Promise((resolve) => node.once('input', resolve));
}

describe('interop with liblo (oscsend, oscdump)', function () {
  this.timeout(20000);
  afterEach(async () => {
    await helper.unload();
    assert.equal(udp.openEndpointCount(), 0);
  });

  describe('oscsend into osc-in', () => {
    let port;
    beforeEach(async () => {
      await helper.load(UDP_NODES, [
        { id: 'udp1', type: 'osc-udp', localAddress: '127.0.0.1', localPort: 0 },
        { id: 'in1', type: 'osc-in', endpoint: 'udp1', wires: [['out']] },
        { id: 'out', type: 'helper' },
      ]);
      const s = await waitStatus(helper.getNode('in1'), /^listening on /);
      port = Number(/:(\d+)$/.exec(s.text)[1]);
    });

    it('receives every type oscsend can send: i h f d s S c m T F N I', async () => {
      const got = nextMsg(helper.getNode('out'));
      await oscsend(
        port,
        '/all',
        'ihfdsScmTFNI',
        '-5',
        '123456789012',
        '2.5',
        '0.1',
        'héllo wörld',
        'sym',
        'A',
        '0090407f',
      );
      const msg = await got;
      assert.equal(msg.topic, '/all');
      assert.equal(msg.osc.types, ',ihfdsScmTFNI');
      assert.deepEqual(msg.osc.args.slice(0, 7), [
        { type: 'i', value: -5 },
        { type: 'h', value: 123456789012n },
        { type: 'f', value: 2.5 },
        { type: 'd', value: 0.1 },
        { type: 's', value: 'héllo wörld' },
        { type: 'S', value: 'sym' },
        { type: 'c', value: 'A' },
      ]);
      assert.deepEqual(msg.payload.slice(0, 7), [-5, 123456789012, 2.5, 0.1, 'héllo wörld', 'sym', 'A']);
      assert.deepEqual([...msg.payload[7]], [0x00, 0x90, 0x40, 0x7f]);
      assert.deepEqual(msg.payload.slice(8), [true, false, null, true]);
      assert.equal(msg.ip, '127.0.0.1');
    });

    it('receives an int64 beyond 2^53 as a BigInt, and a message with no arguments as []', async () => {
      let got = nextMsg(helper.getNode('out'));
      await oscsend(port, '/big', 'h', '-9007199254740993');
      assert.equal((await got).payload, -9007199254740993n);
      got = nextMsg(helper.getNode('out'));
      await oscsend(port, '/xremote');
      const msg = await got;
      assert.equal(msg.topic, '/xremote');
      assert.deepEqual(msg.payload, []);
    });
  });

  describe('osc-out into oscdump', () => {
    let dump;
    let lines;
    let waiters;
    let dumpPort;

    before(async () => {
      dumpPort = await freeUdpPort();
      lines = [];
      waiters = [];
      dump = spawn(OSCDUMP, ['-L', String(dumpPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let buf = '';
      const onData = (chunk) => {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf('\n')) !== -1) {
          lines.push(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          waiters = waiters.filter((w) => !w());
        }
      };
      dump.stdout.setEncoding('utf8').on('data', onData);
      dump.stderr.setEncoding('utf8').on('data', onData);
    });
    after(() => dump.kill());

    /** The first dumped line (from `from` on) that satisfies `pred`. */
    function line(pred, from = 0) {
      return new Promise((resolve) => {
        const check = () => {
          const l = lines.slice(from).find(pred);
          if (l !== undefined) resolve(l);
          return l !== undefined;
        };
        if (!check()) waiters.push(check);
      });
    }

    /** The dumped line without its leading timestamp. */
    const body = (l) => l.slice(l.indexOf(' ') + 1);

    beforeEach(async () => {
      await helper.load(UDP_NODES, [
        { id: 'o1', type: 'osc-out', host: '127.0.0.1', port: dumpPort, numbers: 'int', wires: [] },
      ]);
      // oscdump prints nothing when ready: send until it echoes one back.
      const ready = line((l) => l.includes('/ready'));
      let done = false;
      void ready.then(() => (done = true));
      for (let i = 0; i < 200 && !done; i++) {
        helper.getNode('o1').receive({ topic: '/ready' });
        await Promise.race([ready, new Promise((r) => setTimeout(r, 50))]);
      }
      await ready;
    });

    it('sends every type liblo reads: i h f d s S c b t m T F N I, as liblo decodes them', async () => {
      const from = lines.length;
      helper.getNode('o1').receive({
        topic: '/all',
        payload: [
          -5,
          { type: 'h', value: 123456789012n },
          2.5,
          { type: 'd', value: 0.1 },
          'héllo wörld',
          { type: 'S', value: 'sym' },
          { type: 'c', value: 'A' },
          Buffer.from([1, 2, 3]),
          { type: 't', value: { seconds: 3900000000, fraction: 2147483648 } },
          { type: 'm', value: Buffer.from([0, 0x90, 0x3c, 0x7f]) },
          true,
          false,
          null,
          { type: 'I' },
        ],
      });
      const l = await line((x) => x.includes(' /all '), from);
      assert.equal(
        body(l),
        `/all ihfdsScbtmTFNI -5 123456789012 2.500000 0.100000 "héllo wörld" 'sym 'A' [3b 0x1 0x2 0x3] e8754700.80000000 MIDI [0x00 0x90 0x3c 0x7f] #T #F Nil Infinitum`,
      );
    });

    it('sends a message with no arguments (X32 /xremote), a parsed text message, and a bundle liblo unpacks', async () => {
      const from = lines.length;
      const o1 = helper.getNode('o1');
      o1.receive({ topic: '/xremote' });
      o1.receive({ payload: '/text 1 2.5 "two words" true' });
      o1.receive({
        payload: [
          { topic: '/b1', payload: 1 },
          { topic: '/b2', payload: 'x' },
        ],
        timetag: { seconds: 3900000000, fraction: 1 },
      });
      assert.equal(body(await line((x) => / \/xremote/.test(x), from)).trim(), '/xremote');
      assert.equal(body(await line((x) => x.includes(' /text '), from)), '/text ifsT 1 2.500000 "two words" #T');
      assert.equal(await line((x) => x.includes(' /b1 '), from), 'e8754700.00000001 /b1 i 1');
      assert.equal(await line((x) => x.includes(' /b2 '), from), 'e8754700.00000001 /b2 s "x"');
    });
  });
});
