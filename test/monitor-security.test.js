'use strict';
// Who can see the traffic, in a real Node-RED (a child process, the plugin loaded as users load it) with adminAuth:
// a user who may read the flows subscribes and gets batches over their own comms connection; a user who may open
// the editor's comms but not read the flows is refused the lease (401, as Node-RED refuses any missing permission) and gets no batch even while the reader's
// traffic flows; without logging in, nothing.
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const bcrypt = require('bcryptjs');
const { startNodeRed, adminToken } = require('./helpers/node-red-child');
const { udpPeer, sendTo, freeUdpPort } = require('./helpers/net');
const { encodePacket } = require('../dist/osc/codec');

const PASSWORD = 'monitor-test';

/** A comms connection logged in with `token`: every message it receives, and a way to wait for one. */
function comms(base, token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/comms`);
    const got = [];
    const waiters = [];
    ws.on('error', reject);
    ws.on('message', (data) => {
      const msgs = [].concat(JSON.parse(String(data)));
      for (const m of msgs) {
        if (m.auth === 'ok') resolve(c);
        if (m.auth === 'fail') reject(new Error('comms auth failed'));
        got.push(m);
        for (const w of waiters.splice(0)) {
          if (w.test(m)) w.resolve(m);
          else waiters.push(w);
        }
      }
    });
    const c = {
      ws,
      got,
      send: (topic, data) => ws.send(JSON.stringify({ topic, data })),
      wait: (test) =>
        new Promise((res) => {
          const hit = got.find(test);
          if (hit) res(hit);
          else waiters.push({ test, resolve: res });
        }),
      close: () => ws.close(),
    };
    ws.on('open', () => ws.send(JSON.stringify({ auth: token })));
  });
}

describe('monitor security (adminAuth, real Node-RED)', function () {
  this.timeout(60000);
  let nr;
  let port;
  let sender;

  before(async () => {
    port = await freeUdpPort('127.0.0.1');
    const hash = bcrypt.hashSync(PASSWORD, 8);
    nr = await startNodeRed({
      flow: [
        { id: 't1', type: 'tab', label: 'monitor' },
        { id: 'udp1', type: 'osc-udp', name: 'desk', localAddress: '127.0.0.1', localPort: port, ipv: 'udp4' },
        { id: 'in1', z: 't1', type: 'osc-in', endpoint: 'udp1', wires: [] },
      ],
      settings: {
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'reader', password: hash, permissions: 'read' },
            // May open the editor's comms (status.read) but not read the flows.
            { username: 'limited', password: hash, permissions: ['status.read'] },
          ],
        },
      },
    });
    await nr.waitLog(/listening on|Started flows/);
    sender = await udpPeer();
  });
  after(async () => {
    sender?.close();
    await nr?.stop();
  });

  const token = (username, scope) => adminToken(nr.base, username, scope, PASSWORD);

  function post(path, body, tok) {
    return fetch(`${nr.base}/osc-monitor/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(tok ? { authorization: `Bearer ${tok}` } : {}) },
      body: JSON.stringify(body),
    });
  }

  it('the plugin is loaded, with its editor half', async () => {
    const res = await fetch(`${nr.base}/plugins`, {
      headers: { accept: 'application/json', authorization: `Bearer ${await token('reader', 'read')}` },
    });
    const sets = await res.json();
    const ours = sets.find((p) => p.id === '@oscflow/node-red-osc/osc-monitor');
    assert.ok(ours, JSON.stringify(sets));
    assert.equal(ours.enabled, true);
    assert.equal(ours.err, undefined);
  });

  it('without logging in: 401 on every route', async () => {
    for (const p of ['subscribe', 'renew', 'unsubscribe', 'filter']) {
      const res = await post(p, { lease: 'x' });
      assert.equal(res.status, 401, p);
    }
  });

  it('a user who cannot read flows is refused and gets no batch; a reader gets batches on their own connection only', async () => {
    const [readerTok, limitedTok] = [await token('reader', 'read'), await token('limited', 'status.read')];
    for (const p of ['subscribe', 'renew', 'unsubscribe', 'filter']) {
      // Node-RED answers a missing permission with 401 too (permission.fail in the audit log).
      const res = await post(p, {}, limitedTok);
      assert.equal(res.status, 401, p);
    }
    const reader = await comms(nr.base, readerTok);
    const limited = await comms(nr.base, limitedTok);
    try {
      const res = await post('subscribe', {}, readerTok);
      assert.equal(res.status, 200);
      const { lease } = await res.json();
      reader.send('osc-monitor/attach', { lease });
      const bytes = encodePacket({ address: '/secret/level', args: [{ type: 'f', value: 0.25 }] });
      const seen = reader.wait(
        (m) => m.topic === 'osc-monitor/batch' && m.data.rows.some((r) => r.address === '/secret/level'),
      );
      // Until the runtime has the attach, the probe may land before it: send until a batch shows it.
      const timer = setInterval(() => void sendTo(sender, bytes, port), 100);
      try {
        const batch = await seen;
        const row = batch.data.rows.find((r) => r.address === '/secret/level');
        assert.deepEqual(row.args, [{ type: 'f', value: 0.25 }]);
        assert.equal(batch.data.endpoints[0].name, 'desk');
      } finally {
        clearInterval(timer);
      }
      // The limited user's connection is open (it gets other editor messages) but never a monitor batch, not
      // even by claiming a lease it does not have.
      limited.send('osc-monitor/attach', { lease: 'f'.repeat(32) });
      await sendTo(sender, bytes, port);
      await reader.wait((m) => m.topic === 'osc-monitor/batch' && m.data.rows.some((r) => r.count >= 2));
      assert.equal(
        limited.got.filter((m) => /^osc-monitor/.test(m.topic || '')).length,
        0,
        JSON.stringify(limited.got.slice(0, 3)),
      );
      assert.equal((await post('unsubscribe', { lease }, readerTok)).status, 200);
    } finally {
      reader.close();
      limited.close();
    }
  });
});
