'use strict';
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const { UdpReceiveGuard, parseRcvbuf, DEFAULT_RCVBUF } = require('../dist/transport/udp-guard.js');
const { AllowListError } = require('../dist/transport/allowlist.js');

function bound(options = {}) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: 'udp4', ...options });
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

function rmemMax() {
  try {
    return Number(fs.readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
  } catch {
    return undefined;
  }
}

describe('UDP receive guard (allow-list, receive buffer, kernel drops)', () => {
  it('reads the receive-buffer field: default 1 MiB, 0 for the system default, clear errors', () => {
    assert.equal(DEFAULT_RCVBUF, 1048576);
    for (const v of [undefined, null, '', '  ']) assert.equal(parseRcvbuf(v), 1048576);
    assert.equal(parseRcvbuf('0'), 0);
    assert.equal(parseRcvbuf(' 262144 '), 262144);
    assert.equal(parseRcvbuf(4194304), 4194304);
    for (const bad of ['1e6x', '-1', '1.5', 'big', 2 ** 31])
      assert.throws(() => parseRcvbuf(bad), /whole number of bytes/);
  });

  it('admits allowed senders and counts the others, remembering the last one', () => {
    const g = new UdpReceiveGuard('127.0.0.1, ::1', '');
    assert.equal(g.admit('127.0.0.1', 5000), true);
    assert.equal(g.admit('::ffff:127.0.0.1', 5000), true);
    assert.equal(g.admit('127.0.0.2', 6000), false);
    assert.equal(g.admit('fe80::1', 7000), false);
    assert.equal(g.rejected, 2);
    assert.equal(g.lastRejected, '[fe80::1]:7000');
    const open = new UdpReceiveGuard('', undefined);
    assert.equal(open.admit('203.0.113.5', 1), true);
    assert.equal(open.rejected, 0);
  });

  it('refuses a bad allow-list or buffer size when built, naming the problem', () => {
    assert.throws(
      () => new UdpReceiveGuard('10.0.0.0/8, mixer.local', ''),
      (e) => e instanceof AllowListError && /entry 2 "mixer.local"/.test(e.message),
    );
    assert.throws(() => new UdpReceiveGuard('', 'lots'), RangeError);
  });

  it('asks for the receive buffer and reports what the kernel granted', async () => {
    const s = await bound();
    try {
      const g = new UdpReceiveGuard('', 262144);
      const r = g.applyRecvBuffer(s);
      assert.equal(r.asked, 262144);
      assert.equal(r.granted, s.getRecvBufferSize());
      const max = rmemMax();
      if (max !== undefined && max >= 262144) {
        assert.equal(r.granted, 2 * 262144, 'Linux grants twice the request (its bookkeeping half)');
        assert.equal(r.capped, false);
        assert.equal(g.recvBufferWarning(), undefined);
      }
    } finally {
      s.close();
    }
  });

  it('says so when the kernel caps the request (net.core.rmem_max)', async function () {
    const max = rmemMax();
    if (max === undefined) this.skip();
    const s = await bound();
    try {
      const g = new UdpReceiveGuard('', 2 * max + 4096);
      const r = g.applyRecvBuffer(s);
      assert.equal(r.capped, true);
      assert.equal(r.granted, 2 * max);
      assert.match(g.recvBufferWarning(), /receive buffer and got .* net\.core\.rmem_max=/);
    } finally {
      s.close();
    }
  });

  it('keeps the system default with 0', async () => {
    const s = await bound();
    try {
      const before = s.getRecvBufferSize();
      const r = new UdpReceiveGuard('', 0).applyRecvBuffer(s);
      assert.deepEqual(r, { asked: 0, granted: before, capped: false });
    } finally {
      s.close();
    }
  });

  (process.platform === 'linux' ? it : it.skip)('reports the datagrams the kernel dropped at the socket', async () => {
    const s = await bound();
    s.on('message', () => undefined);
    const g = new UdpReceiveGuard('', 1); // the smallest buffer the kernel allows
    g.applyRecvBuffer(s);
    let changes = 0;
    try {
      g.startKernelStats(s.address().port, 'udp4', () => changes++);
      await g.refreshKernelStats();
      assert.equal(g.kernelDrops, 0);
      const changesBefore = changes;
      // spawnSync blocks this thread, so nothing reads our socket while the child sends its burst.
      const r = spawnSync(
        process.execPath,
        [
          '-e',
          `
        const s = require('dgram').createSocket('udp4');
        s.bind(0, '127.0.0.1', async () => {
          const b = Buffer.alloc(1000);
          for (let i = 0; i < 300; i++) await new Promise((r) => s.send(b, ${s.address().port}, '127.0.0.1', r));
          s.close();
        });`,
        ],
        { timeout: 20000 },
      );
      assert.equal(r.status, 0, String(r.stderr));
      assert.equal(await g.refreshKernelStats(), true);
      assert.ok(g.kernelDrops > 0 && g.kernelDrops < 300, `kernel drops ${g.kernelDrops}`);
      assert.equal(changes, changesBefore + 1);
      assert.equal(await g.refreshKernelStats(), false, 'no change, no notification');
    } finally {
      g.stop();
      s.close();
    }
  });
});
