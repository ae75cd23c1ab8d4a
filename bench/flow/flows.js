'use strict';
// The flows under test, one per chain. Every Node-RED chain gets the same traffic on the same address and routes
// it through ten rules with the matching one last, so the routers do comparable work.
// Bundles (16 messages each) are relayed as 16 separate messages by every chain that understands OSC:
//   ours:      osc-in splits the bundle into 16 msgs (bundles: 'split'), each routed and sent as one datagram;
//   incumbent: the osc node decodes a bundle into one msg with topic 'bundle' and payload = the packets, so a core
//              user needs split (one msg per packet) and change (topic = address, payload = args) before the switch;
//   empty:     relays the bundle datagram whole (it does not know OSC): one Node-RED msg per 16 OSC messages;
//   empty3:    messages only (for bundles it would be empty with one more hop);
//   inout:     bundles only: ours without the router (osc-in -> osc-out), the shortest chain of ours that splits;
//   raw:       relay.js split: cuts the bundle along its element sizes, one datagram per message, no decoding.
const { RULE_ADDRESSES } = require('./packets');

const TAB = 'bench-tab';

function node(id, type, props, wires, x, y) {
  return { id, type, z: TAB, name: '', x: x ?? 100, y: y ?? 100, wires: wires ?? [], ...props };
}

function tab() {
  return { id: TAB, type: 'tab', label: 'flow benchmark', disabled: false, info: '' };
}

function udpIn(id, port, next) {
  return node(
    id,
    'udp in',
    {
      iface: '',
      port: String(port),
      ipv: 'udp4',
      multicast: 'false',
      group: '',
      datatype: 'buffer',
    },
    [[next]],
    100,
    100,
  );
}

function udpOut(id, port) {
  return node(
    id,
    'udp out',
    {
      addr: '127.0.0.1',
      iface: '',
      port: String(port),
      ipv: 'udp4',
      outport: '',
      base64: false,
      multicast: 'false',
    },
    [],
    700,
    100,
  );
}

/** One output per rule; only the last (matching) rule is wired, as a user would wire the one they care about. */
function lastWired(next) {
  return RULE_ADDRESSES.map((_, i) => (i === RULE_ADDRESSES.length - 1 ? [next] : []));
}

function emptyFlow({ inPort, outPort }) {
  return [tab(), udpIn('in', inPort, 'out'), udpOut('out', outPort)];
}

/**
 * Three core nodes that do nothing: a change node without rules between udp in and udp out. It has as many nodes
 * and hand-offs as ours, so its row is what the runtime costs a chain of our length before any node does work.
 */
function empty3Flow({ inPort, outPort }) {
  return [
    tab(),
    udpIn('in', inPort, 'nop'),
    node('nop', 'change', { rules: [], action: '', property: '', from: '', to: '', reg: false }, [['out']], 300, 100),
    udpOut('out', outPort),
  ];
}

function incumbentFlow({ inPort, outPort, mode }) {
  const flow = [tab(), udpIn('in', inPort, 'decode')];
  const afterDecode = mode === 'bundle' ? 'split' : 'switch';
  flow.push(node('decode', 'osc', { path: '', metadata: false }, [[afterDecode]], 250, 100));
  if (mode === 'bundle') {
    flow.push(
      node(
        'split',
        'split',
        {
          splt: '\\n',
          spltType: 'str',
          arraySplt: 1,
          arraySpltType: 'len',
          stream: false,
          addname: '',
        },
        [['unwrap']],
        350,
        100,
      ),
    );
    flow.push(
      node(
        'unwrap',
        'change',
        {
          rules: [
            { t: 'set', p: 'topic', pt: 'msg', to: 'payload.address', tot: 'msg' },
            { t: 'set', p: 'payload', pt: 'msg', to: 'payload.args', tot: 'msg' },
          ],
          action: '',
          property: '',
          from: '',
          to: '',
          reg: false,
        },
        [['switch']],
        450,
        100,
      ),
    );
  }
  flow.push(
    node(
      'switch',
      'switch',
      {
        property: 'topic',
        propertyType: 'msg',
        rules: RULE_ADDRESSES.map((a) => ({ t: 'eq', v: a, vt: 'str' })),
        checkall: 'true',
        repair: false,
        outputs: RULE_ADDRESSES.length,
      },
      lastWired('encode'),
      500,
      100,
    ),
  );
  flow.push(node('encode', 'osc', { path: '', metadata: false }, [['out']], 600, 100));
  flow.push(udpOut('out', outPort));
  return flow;
}

function oursFlow({ inPort, outPort }) {
  return [
    tab(),
    {
      id: 'endpoint',
      type: 'osc-udp',
      name: 'bench in',
      localAddress: '127.0.0.1',
      localPort: inPort,
      ipv: 'udp4',
      broadcast: false,
      multicastGroup: '',
      multicastInterface: '',
      ttl: 64,
      multicastLoopback: true,
    },
    // Bundles are delivered at once (schedule: false), as the incumbent does: timetags are not what is measured.
    node(
      'in',
      'osc-in',
      {
        transport: 'udp',
        endpoint: 'endpoint',
        payloadArray: false,
        bundles: 'split',
        lenient: false,
        schedule: false,
      },
      [['route']],
    ),
    node(
      'route',
      'osc-route',
      {
        rules: RULE_ADDRESSES.map((pattern) => ({ pattern })),
        otherwise: false,
        checkall: 'true',
        property: 'topic',
        outputs: RULE_ADDRESSES.length,
      },
      lastWired('out'),
      300,
      100,
    ),
    node(
      'out',
      'osc-out',
      {
        transport: 'udp',
        endpoint: '',
        host: '127.0.0.1',
        port: outPort,
        address: '',
        numbers: 'int',
      },
      [],
      500,
      100,
    ),
  ];
}

/**
 * Ours without the router: osc-in -> osc-out, one hand-off per message instead of two. With bundles no core node
 * can stand in for osc-in (none splits an OSC bundle), so this row is the floor of our chain: what routing adds,
 * and what is left without it.
 */
function inoutFlow({ inPort, outPort }) {
  return oursFlow({ inPort, outPort })
    .filter((n) => n.id !== 'route')
    .map((n) => (n.id === 'in' ? { ...n, wires: [['out']] } : n));
}

/**
 * Ours with an osc-query describing the endpoint (#17): 'query' declares every rule address, the traffic's among them
 * (each message is also decoded for VALUE); 'querymiss' declares addresses the traffic never uses, one of them of
 * the traffic's length (the lookup alone). No WebSocket client, no advertising.
 */
function queryFlow(declared) {
  return ({ inPort, outPort }) => [
    ...oursFlow({ inPort, outPort }),
    {
      id: 'query',
      type: 'osc-query',
      name: 'bench',
      mode: 'serve',
      transport: 'udp',
      endpoint: 'endpoint',
      port: 0,
      localAddress: '127.0.0.1',
      advertise: false,
      websocket: true,
      methods: declared.map((address) => ({ address, types: 'ii', access: 'rw' })),
    },
  ];
}

const FLOWS = {
  empty: emptyFlow,
  empty3: empty3Flow,
  incumbent: incumbentFlow,
  ours: oursFlow,
  inout: inoutFlow,
  query: queryFlow(RULE_ADDRESSES),
  querymiss: queryFlow([...RULE_ADDRESSES.slice(0, -1), '/mixer/ch/11/fader']),
};

module.exports = { FLOWS };
