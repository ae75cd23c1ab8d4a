'use strict';
// Interop with liblo (the C reference implementation) over TCP, both ways: liblo's oscsend into our server, and
// our client into liblo's oscdump. Finding (liblo 0.31): oscsend frames TCP packets with the OSC 1.0 int32 size
// prefix; a liblo TCP server accepts both the size prefix and SLIP (it detects SLIP by a leading END byte).
const assert = require('node:assert/strict');
const { once } = require('node:events');
const { execFile, spawn } = require('node:child_process');
const fs = require('node:fs');
const { OscTcpServer, OscTcpClient } = require('../dist/transport/tcp');
const { decodePacket, encodePacket } = require('../dist/osc/codec');
const { freeTcpPort } = require('./helpers/net');
const { asMessage } = require('./helpers/osc');

const OSCSEND = '/usr/bin/oscsend';
const OSCDUMP = '/usr/bin/oscdump';
const haveLiblo = fs.existsSync(OSCSEND) && fs.existsSync(OSCDUMP);

function oscsend(args) {
  return new Promise((resolve, reject) => {
    execFile(OSCSEND, args, { timeout: 10000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`oscsend failed: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

(haveLiblo ? describe : describe.skip)('TCP interop with liblo (oscsend, oscdump)', function () {
  const cleanups = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()();
  });

  for (const framing of /** @type {const} */ (['length-prefix', 'auto'])) {
    it(`receives oscsend osc.tcp:// messages byte for byte (server framing '${framing}')`, async () => {
      const server = new OscTcpServer({ host: '127.0.0.1', port: 0, framing });
      cleanups.push(() => server.close());
      const errors = [];
      server.on('error', (e) => errors.push(e));
      const { port } = await server.listen();
      const got = once(server, 'packet');
      await oscsend([`osc.tcp://127.0.0.1:${port}`, '/mixer/ch/1', 'ifsTN', '-7', '0.25', 'vox']);
      const [bytes, from] = await got;
      assert.equal(from.address, '127.0.0.1');
      assert.ok(from.port > 0);
      assert.deepEqual(
        bytes,
        encodePacket({
          address: '/mixer/ch/1',
          args: [{ type: 'i', value: -7 }, { type: 'f', value: 0.25 }, 'vox', true, null],
        }),
      );
      assert.deepEqual(
        asMessage(decodePacket(bytes)).args.map((a) => a.type),
        ['i', 'f', 's', 'T', 'N'],
      );
      assert.deepEqual(errors, []);
    });
  }

  it("rejects oscsend's size-prefixed stream when forced to SLIP (so the framing finding is checked)", async () => {
    const server = new OscTcpServer({ host: '127.0.0.1', port: 0, framing: 'slip' });
    cleanups.push(() => server.close());
    const packets = [];
    server.on('packet', (p) => packets.push(p));
    const { port } = await server.listen();
    const gone = once(server, 'disconnect');
    await oscsend([`osc.tcp://127.0.0.1:${port}`, '/a', 'i', '1']);
    await gone;
    // Without an END the size prefix and packet form one unterminated frame, never delivered.
    assert.deepEqual(packets, []);
  });

  for (const framing of /** @type {const} */ (['length-prefix', 'slip'])) {
    it(`sends to oscdump osc.tcp:// with our client (${framing})`, async () => {
      const port = await freeTcpPort();
      const dump = spawn(OSCDUMP, ['-L', `osc.tcp://:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      dump.on('error', () => {});
      const exited = once(dump, 'exit');
      cleanups.push(async () => {
        if (dump.exitCode === null && dump.signalCode === null) {
          dump.kill();
          await exited;
        }
      });
      let out = '';
      let err = '';
      const lines = [];
      dump.stdout.setEncoding('utf8');
      dump.stderr.setEncoding('utf8');
      dump.stderr.on('data', (d) => (err += d));
      const sawLines = new Promise((resolve, reject) => {
        dump.stdout.on('data', (d) => {
          out += d;
          const parts = out.split('\n');
          out = parts.pop();
          lines.push(...parts);
          if (lines.length >= 2) resolve();
        });
        dump.on('exit', (code) => reject(new Error(`oscdump exited (${code}): ${err}`)));
      });
      // oscdump prints nothing when ready: the client's reconnection loop is what waits for it.
      const client = new OscTcpClient({ host: '127.0.0.1', port, framing, reconnectMinMs: 20, reconnectMaxMs: 100 });
      cleanups.push(() => client.close());
      client.connect();
      await once(client, 'connected');
      client.send(encodePacket({ address: '/a/b', args: [{ type: 'i', value: 1 }, { type: 'f', value: 2.5 }, 'hi'] }));
      client.send(encodePacket({ address: '/blob', args: [Buffer.from([0xc0, 0xdb, 0x00, 0x01])] }));
      await sawLines;
      // oscdump prefixes each line with the time it received it.
      assert.match(lines[0], /^[0-9a-f]{8}\.[0-9a-f]{8} \/a\/b ifs 1 2\.500000 "hi"$/);
      // The blob holds SLIP's END and ESC bytes: liblo must have unescaped them.
      assert.match(lines[1], /^[0-9a-f]{8}\.[0-9a-f]{8} \/blob b \[4b 0xc0 0xdb 00 0x1\]$/);
    });
  }
});
