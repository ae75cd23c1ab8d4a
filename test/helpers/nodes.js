'use strict';
// Our nodes in a Node-RED runtime (node-red-node-test-helper), and the ways the node tests wait on them: a
// status, the port an osc-in listens on, msgs arriving at a helper node (a Catch wired to a helper included).
const helper = require('node-red-node-test-helper');
const oscUdp = require('../../dist/nodes/osc-udp');
const oscIn = require('../../dist/nodes/osc-in');
const oscOut = require('../../dist/nodes/osc-out');

helper.init(require.resolve('node-red'));

/** The node files of the UDP set, for helper.load: the osc-udp config node, osc-in and osc-out. */
const UDP_NODES = [oscUdp, oscIn, oscOut];

/**
 * osc-in `in1` on an osc-udp `udp1` (127.0.0.1, a free port) wired to the helper node `out`, and a Catch node
 * wired to the helper node `caught`; `inProps` and `udpProps` add to or replace the nodes' properties.
 * @returns {Array<Record<string, any>>}
 */
function oscInFlow(inProps = {}, udpProps = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    { id: 'udp1', type: 'osc-udp', localAddress: '127.0.0.1', localPort: 0, ipv: 'udp4', ...udpProps },
    {
      id: 'in1',
      z: 'f1',
      type: 'osc-in',
      endpoint: 'udp1',
      payloadArray: false,
      bundles: 'split',
      lenient: false,
      wires: [['out']],
      ...inProps,
    },
    { id: 'out', z: 'f1', type: 'helper' },
    { id: 'catch1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
  ];
}

/** Resolves with the first status of `node` whose text matches `re` (past calls included). */
function waitStatus(node, re) {
  return new Promise((resolve) => {
    const check = (s) => s && typeof s.text === 'string' && re.test(s.text);
    for (const call of node.status.getCalls ? node.status.getCalls().filter((c) => c.thisValue === node) : []) {
      if (check(call.args[0])) return resolve(call.args[0]);
    }
    const on = (call) => {
      if (check(call.args[0])) {
        node.removeListener('call:status', on);
        resolve(call.args[0]);
      }
    };
    node.on('call:status', on);
  });
}

/** The UDP port an osc-in shows in its "listening on host:port" status. */
async function listeningPort(node) {
  const s = await waitStatus(node, /^listening on /);
  return Number(/:(\d+)/.exec(s.text)[1]);
}

/**
 * Collects the next `n` msgs arriving at a helper node (a Catch's helper gets the errors), each passed through
 * `map` as it arrives (e.g. to note the time).
 */
function collect(node, n, map = (msg) => msg) {
  return new Promise((resolve) => {
    const got = [];
    const on = (msg) => {
      got.push(map(msg));
      if (got.length === n) {
        node.removeListener('input', on);
        resolve(got);
      }
    };
    node.on('input', on);
  });
}

/** Resolves with check()'s first truthy value, polled every 20 ms; rejects after `ms` (a state with no event). */
function until(check, ms) {
  return new Promise((resolve, reject) => {
    const end = Date.now() + ms;
    const tick = () => {
      const v = check();
      if (v) return resolve(v);
      if (Date.now() > end) return reject(new Error('timed out'));
      setTimeout(tick, 20);
    };
    tick();
  });
}

// What 'recorder' nodes received, by node id, from the moment each exists.
const recordings = new Map();

/**
 * A node type for helper.load ({ type: 'recorder' }): keeps every msg it receives from the moment it exists, so a
 * msg that arrives while helper.load is still starting the flows (an error a Catch node passes on) is not missed
 * the way an 'input' listener attached after load would miss it. Read with recorded(id).
 */
function recorderNode(RED) {
  RED.nodes.registerType(
    'recorder',
    /** @this {any} */ function (config) {
      RED.nodes.createNode(this, config);
      const got = [];
      recordings.set(config.id, got);
      this.on('input', (msg, _send, done) => {
        got.push(msg);
        done();
      });
    },
  );
}

/** The msgs recorder node `id` has received so far (the array grows as more arrive). */
function recorded(id) {
  return recordings.get(id) || [];
}

module.exports = {
  helper,
  UDP_NODES,
  oscInFlow,
  waitStatus,
  listeningPort,
  collect,
  until,
  recorderNode,
  recorded,
};
