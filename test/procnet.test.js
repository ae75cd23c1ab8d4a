'use strict';
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const { spawn } = require('node:child_process');
const path = require('node:path');
const procnet = require('../dist/transport/procnet.js');

const linux = process.platform === 'linux';

// A real /proc/net/udp6 capture (header with its misaligned words, trailing spaces), so the parser is tested
// on the layout the kernel prints, not on one we imagined.
const SAMPLE = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
  '  118: 00000000000000000000000001000000:D8C6 00000000000000000000000000000000:0000 07 00000000:00000A00 00:00000000 00000000  1000        0 51234 2 0000000000000000 17   ',
  '  250: 00000000000000000000000000000000:0044 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1234 2 0000000000000000 0',
  '',
].join('\n');

function bindSocket(type, options = {}) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type, ...options });
    s.once('error', reject);
    s.bind(0, type === 'udp6' ? '::1' : '127.0.0.1', () => resolve(s));
  });
}

describe('procnet: kernel UDP drop counters', () => {
  it('parses the rows of /proc/net/udp by column position', () => {
    assert.deepEqual(procnet.parseProcNetUdp(SAMPLE), [
      { port: 0xd8c6, rxQueue: 0xa00, inode: 51234, drops: 17 },
      { port: 0x44, rxQueue: 0, inode: 1234, drops: 0 },
    ]);
    assert.deepEqual(procnet.parseProcNetUdp(''), []);
    assert.deepEqual(
      procnet.parseProcNetUdp('sl local_address rem_address st\n 0: 0100007F:0044 00000000:0000 07'),
      [],
      'a kernel without the drops column gives no rows, not zeros',
    );
  });

  it('answers undefined, not 0, for a socket the OS says nothing about', async () => {
    // Port 0 is never a bound socket's local port.
    assert.equal(await procnet.readUdpDrops({ port: 0, inode: 1 }), undefined);
    assert.equal(procnet.readUdpSocketStatsSync({ port: 0, inode: 1 }), undefined);
  });

  (linux ? describe : describe.skip)('on Linux, against real sockets', () => {
    for (const type of /** @type {const} */ (['udp4', 'udp6'])) {
      it(`finds a fresh ${type} socket's row by its inode, with 0 drops`, async function () {
        let s;
        try {
          s = await bindSocket(type);
        } catch (e) {
          if (type === 'udp6') this.skip(); // no IPv6 on this machine
          throw e;
        }
        try {
          const port = s.address().port;
          const inode = procnet.findOwnUdpSocketInode(port, type);
          assert.equal(typeof inode, 'number');
          assert.equal(procnet.findOwnUdpSocketInode(port, type === 'udp4' ? 'udp6' : 'udp4'), undefined);
          const stats = await procnet.readUdpSocketStats({ port, inode, family: type });
          assert.deepEqual(stats, { port, inode, rxQueue: 0, drops: 0 });
          assert.equal(await procnet.readUdpDrops({ port, inode }), 0);
        } finally {
          s.close();
        }
      });
    }

    it('does not claim a socket of another process as ours', async () => {
      const child = spawn(
        process.execPath,
        [
          '-e',
          `
        const s = require('dgram').createSocket('udp4');
        s.bind(0, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n'));
        process.stdin.on('data', () => process.exit(0));`,
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      try {
        const port = Number(await firstLine(child.stdout));
        assert.equal(procnet.findOwnUdpSocketInode(port, 'udp4'), undefined);
        assert.equal(typeof (await procnet.readUdpDrops({ port })), 'number', 'by port alone it is still found');
      } finally {
        child.stdin.end('x');
        await new Promise((r) => child.once('exit', r));
      }
    });

    it('counts the datagrams the kernel dropped while the receiver was not reading', async () => {
      // The receiver lives in a child that blocks its only thread in a synchronous stdin read, so nothing
      // drains its tiny receive buffer until we say so: the drop count is exact, no timing involved.
      const child = spawn(process.execPath, [path.join(__dirname, 'helpers', 'blocked-udp-receiver.js')], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const sender = await bindSocket('udp4');
      try {
        const { port, inode, rcvbuf } = JSON.parse(await firstLine(child.stdout));
        assert.equal(typeof inode, 'number');
        const before = await procnet.readUdpSocketStats({ port, inode, family: 'udp4' });
        assert.equal(before.drops, 0);
        const burst = 300;
        const datagram = Buffer.alloc(1000, 0x2f);
        await Promise.all(
          Array.from(
            { length: burst },
            () =>
              new Promise((res, rej) => sender.send(datagram, port, '127.0.0.1', (err) => (err ? rej(err) : res()))),
          ),
        );
        // Loopback delivers inside sendmsg, so once every send has completed the queue is settled.
        const after = await procnet.readUdpSocketStats({ port, inode, family: 'udp4' });
        assert.ok(after.drops > 0 && after.drops < burst, `drops ${after.drops} of ${burst} (rcvbuf ${rcvbuf})`);
        assert.ok(after.rxQueue > 0 && after.rxQueue <= rcvbuf * 2, `rx_queue ${after.rxQueue}`);
        // What the kernel kept plus what it dropped is the whole burst.
        child.stdin.write('read\n');
        const { received } = JSON.parse(await firstLine(child.stdout));
        assert.equal(received + after.drops, burst);
      } finally {
        sender.close();
        child.stdin.end();
        await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      }
    });
  });
});

function firstLine(stream) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        stream.off('data', onData);
        stream.off('end', onEnd);
        if (buf.length > nl + 1) stream.unshift(Buffer.from(buf.slice(nl + 1)));
        resolve(buf.slice(0, nl));
      }
    };
    const onEnd = () => reject(new Error(`stream ended before a line: ${buf}`));
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}
