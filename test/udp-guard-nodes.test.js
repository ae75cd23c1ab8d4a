'use strict';
// The allow-list, receive buffer and kernel drop count wired into the UDP endpoint and osc-in (issue 8), over
// real sockets on 127.0.0.1; 127.0.0.2 (also this machine on Linux) plays a sender that is not allowed.
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const helper = require('node-red-node-test-helper');
const codec = require('../dist/osc/codec');
const udp = require('../dist/transport/udp');
const oscUdp = require('../dist/nodes/osc-udp');
const oscIn = require('../dist/nodes/osc-in');
const { until: waitUntil } = require('./helpers/nodes');

helper.init(require.resolve('node-red'));
const linux = process.platform === 'linux';

function socketOn(address) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, address, () => resolve(s));
  });
}

const until = (check, ms = 5000) => waitUntil(check, ms);

const statusTexts = (node) =>
  node.status
    .getCalls()
    .map((c) => c.args[0] && c.args[0].text)
    .filter(Boolean);

function flow(udpProps) {
  return [
    { id: 'f1', type: 'tab' },
    { id: 'u1', type: 'osc-udp', localAddress: '127.0.0.1', localPort: 0, ...udpProps },
    { id: 'in1', type: 'osc-in', z: 'f1', endpoint: 'u1', wires: [['h1']] },
    { id: 'h1', type: 'helper', z: 'f1' },
  ];
}

/** An endpoint registered with directly, as osc-in registers with its config node's. */
async function openEndpoint(options, user = {}) {
  const handle = udp.udpEndpointHolder({ localAddress: '127.0.0.1', localPort: 0, ...options }).register(user);
  await until(() => handle.endpoint.state !== 'opening');
  return handle;
}

describe('osc-udp allow-list, receive buffer and kernel drops', function () {
  this.timeout(20000);
  afterEach(() => helper.unload());

  (linux ? it : it.skip)(
    'delivers allowed senders, drops and counts the others, and says so once in the log',
    async () => {
      await helper.load([oscUdp, oscIn], flow({ allow: '127.0.0.1' }));
      const inNode = helper.getNode('in1');
      const out = helper.getNode('h1');
      const got = [];
      out.on('input', (msg) => got.push(msg));
      const text = await until(() => statusTexts(inNode).find((t) => t.startsWith('listening on')));
      const port = Number(/:(\d+)/.exec(text)[1]);
      const friend = await socketOn('127.0.0.1');
      const stranger = await socketOn('127.0.0.2');
      try {
        const send = (s, address) =>
          new Promise((r) => s.send(codec.encodePacket({ address, args: [1] }), port, '127.0.0.1', r));
        for (let i = 0; i < 5; i++) await send(stranger, '/stranger');
        await send(friend, '/friend');
        await until(() => got.length >= 1);
        await until(() => statusTexts(inNode).find((t) => / · 5 not allowed/.test(t)), 3000);
        assert.deepEqual(
          got.map((m) => m.topic),
          ['/friend'],
        );
        const warns = inNode.warn
          .getCalls()
          .map((c) => String(c.args[0]))
          .filter((w) => /allow-list/.test(w));
        assert.equal(warns.length, 1, 'one line, not one per packet');
        assert.match(
          warns[0],
          /dropped 1 packet from senders not in the allow-list of 127\.0\.0\.1:\d+ \(last from 127\.0\.0\.2:\d+\)/,
        );
      } finally {
        friend.close();
        stranger.close();
      }
    },
  );

  it('turns a bad allow-list into a red status and an error naming the entry, not a crash', async () => {
    await helper.load([oscUdp, oscIn], flow({ allow: '10.0.0.0/8\nmixer.local' }));
    const inNode = helper.getNode('in1');
    await until(() =>
      inNode.status
        .getCalls()
        .find((c) => c.args[0] && c.args[0].text === 'bad allow-list' && c.args[0].fill === 'red'),
    );
    await until(() =>
      inNode.error
        .getCalls()
        .find((c) => /allow-list entry 2 "mixer.local": not an IP address/.test(String(c.args[0]))),
    );
  });

  it('turns a bad receive-buffer size into a red status and an error', async () => {
    await helper.load([oscUdp, oscIn], flow({ rcvbuf: 'lots' }));
    const inNode = helper.getNode('in1');
    await until(() => inNode.status.getCalls().find((c) => c.args[0] && c.args[0].text === 'bad receive buffer'));
    await until(() => inNode.error.getCalls().find((c) => /whole number of bytes/.test(String(c.args[0]))));
  });

  it('asks the kernel for 1 MiB by default and reports what it granted', async () => {
    const h = await openEndpoint(udp.udpOptionsFromConfig({ localAddress: '127.0.0.1', localPort: 0 }));
    try {
      assert.equal(h.endpoint.state, 'open');
      const r = h.endpoint.recvBuffer;
      assert.equal(r.asked, 1048576);
      if (linux && Number(fs.readFileSync('/proc/sys/net/core/rmem_max', 'utf8')) >= 1048576) {
        assert.equal(r.granted, 2097152, 'Linux reports twice the usable size');
        assert.equal(r.capped, false);
        assert.equal(h.endpoint.recvBufferWarning, undefined);
      }
    } finally {
      await h.release();
    }
  });

  (linux ? it : it.skip)('reports what the kernel dropped at the socket, through onStats', async () => {
    let stats = 0;
    const h = await openEndpoint(
      { rcvbuf: 1 },
      {
        onMessage() {},
        onStats() {
          stats++;
        },
      },
    );
    try {
      const port = h.endpoint.address.port;
      await h.endpoint.refreshKernelStats();
      assert.equal(h.endpoint.kernelDrops, 0);
      const before = stats;
      // spawnSync blocks this thread: nothing reads the socket while the child sends its burst.
      const r = spawnSync(
        process.execPath,
        [
          '-e',
          `
        const s = require('dgram').createSocket('udp4');
        s.bind(0, '127.0.0.1', async () => {
          for (let i = 0; i < 300; i++) await new Promise((r) => s.send(Buffer.alloc(1000), ${port}, '127.0.0.1', r));
          s.close();
        });`,
        ],
        { timeout: 15000 },
      );
      assert.equal(r.status, 0, String(r.stderr));
      assert.equal(await h.endpoint.refreshKernelStats(), true);
      assert.ok(h.endpoint.kernelDrops > 0, `kernel drops ${h.endpoint.kernelDrops}`);
      assert.equal(stats, before + 1);
    } finally {
      await h.release();
    }
  });

  (linux ? it : it.skip)(
    'gives a changed config node a new socket, with its new allow-list and buffer (partial deploy)',
    async () => {
      // The status spy is shared by every osc in created in this test: only the current node's calls count.
      const listening = async () => {
        const node = helper.getNode('in1');
        const text = await until(() =>
          node.status
            .getCalls()
            .filter((c) => c.thisValue === node)
            .map((c) => c.args[0] && c.args[0].text)
            .find((t) => t && t.startsWith('listening on')),
        );
        return Number(/:(\d+)/.exec(text)[1]);
      };
      const probe = async () => {
        const h = helper.getNode('u1').register({});
        await until(() => h.endpoint.state !== 'opening');
        return h;
      };
      const f = flow({ allow: '127.0.0.1' });
      await helper.load([oscUdp, oscIn], f);
      await listening();
      const before = await probe();
      assert.equal(before.endpoint.recvBuffer.asked, 1048576);
      // Only the config node changes; Node-RED restarts it and the nodes using it.
      await helper.setFlows(
        f.map((n) => (n.id === 'u1' ? { ...n, allow: '127.0.0.0/8', rcvbuf: 65536 } : n)),
        'nodes',
      );
      assert.equal(before.endpoint.state, 'closed');
      const port = await listening();
      const after = await probe();
      const stranger = await socketOn('127.0.0.2');
      try {
        assert.notEqual(after.endpoint, before.endpoint);
        assert.equal(after.endpoint.recvBuffer.asked, 65536);
        const got = [];
        helper.getNode('h1').on('input', (msg) => got.push(msg));
        await new Promise((r) =>
          stranger.send(codec.encodePacket({ address: '/now/allowed', args: [] }), port, '127.0.0.1', r),
        );
        await until(() => got.length === 1);
        assert.equal(got[0].topic, '/now/allowed');
      } finally {
        stranger.close();
        await after.release();
      }
    },
  );
});
