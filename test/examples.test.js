'use strict';
// examples/*.json (the Flow Library and the editor's Import > Examples menu read them) and the npm start demo:
// valid flows of existing node types, importable by Node-RED, covering every node type we register.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { compilePattern } = require('../dist/osc/pattern.js');
const pkg = require('../package.json');

helper.init(require.resolve('node-red'));

const root = path.resolve(__dirname, '..');
const ours = Object.keys(pkg['node-red'].nodes);
const core = {
  inject: require('@node-red/nodes/core/common/20-inject.js'),
  debug: require('@node-red/nodes/core/common/21-debug.js'),
  comment: require('@node-red/nodes/core/common/90-comment.js'),
  change: require('@node-red/nodes/core/function/15-change.js'),
  // The osc-request examples send its timeouts and error replies to a Catch node.
  catch: require('@node-red/nodes/core/common/25-catch.js'),
  // The codec node's migration example carries OSC over the core udp nodes.
  'udp in': require('@node-red/nodes/core/network/32-udp.js'),
  'udp out': require('@node-red/nodes/core/network/32-udp.js'),
};
const configTypes = ['osc-udp', 'osc-tcp', 'osc-query'];
const runtimes = ours.map((t) => require(path.join(root, pkg['node-red'].nodes[t])));

const files = [
  ...fs
    .readdirSync(path.join(root, 'examples'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join('examples', f)),
  path.join('scripts', 'demo-flow.json'),
];

/** The flow with every port the test would bind replaced by 0, and nothing sent by itself on deploy. */
function safeToDeploy(flow) {
  return flow.map((n) => {
    const c = { ...n };
    if (c.type === 'osc-udp') c.localPort = 0;
    if (c.type === 'osc-tcp' && c.mode === 'server') c.localPort = 0;
    if (c.type === 'udp in') c.port = '0';
    if (c.type === 'inject') Object.assign(c, { once: false, repeat: '' });
    // An OSCQuery server on a free port, not announced on the test machine's network.
    if (c.type === 'osc-query') Object.assign(c, { port: 0, advertise: false });
    return c;
  });
}

describe('example flows', () => {
  it('exist for TouchOSC, the X32, SuperCollider and sensor routing', () => {
    const names = files.map((f) => path.basename(f)).join(' ');
    for (const topic of [/touchosc/, /x32/, /supercollider/, /sensor/]) assert.match(names, topic);
  });

  it('use every node type of the package between them', () => {
    const used = new Set(
      files
        .filter((f) => f.startsWith('examples'))
        .flatMap((f) => JSON.parse(fs.readFileSync(path.join(root, f), 'utf8')).map((n) => n.type)),
    );
    for (const t of ours) assert.ok(used.has(t), `${t} appears in an example`);
  });

  it('open each on a tab named like the example, as Import > Examples lists it', () => {
    for (const file of files.filter((f) => f.startsWith('examples'))) {
      const flow = JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
      const tabs = flow.filter((n) => n.type === 'tab');
      assert.deepEqual(
        tabs.map((t) => t.label),
        [path.basename(file, '.json')],
        file,
      );
      for (const n of flow) {
        if (n.type !== 'tab' && !configTypes.includes(n.type))
          assert.equal(n.z, tabs[0].id, `${file}: ${n.type} ${n.id} is on the tab`);
      }
    }
  });

  it('listen on ports of their own: none shared with another example, the README quick start or the npm start demo', () => {
    const listeners = new Map();
    const claim = (port, who) => {
      assert.ok(!listeners.has(port), `port ${port}: ${listeners.get(port)} and ${who}`);
      listeners.set(port, who);
    };
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const quickStart = readme.slice(
      readme.indexOf('## Quick start'),
      readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1),
    );
    const qs = /\*\*Port\*\*[^`]*`(\d+)`/.exec(quickStart);
    assert.ok(qs, 'the quick start names the port it listens on');
    claim(Number(qs[1]), 'the README quick start');
    const demo = /OSCFLOW_DEMO_PORT \|\| (\d+)/.exec(fs.readFileSync(path.join(root, 'scripts', 'start.js'), 'utf8'));
    claim(Number(demo[1]), 'the npm start demo');
    for (const file of files.filter((f) => f.startsWith('examples'))) {
      for (const n of JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'))) {
        const port =
          n.type === 'osc-udp'
            ? n.localPort
            : n.type === 'osc-tcp' && n.mode === 'server'
              ? n.localPort
              : n.type === 'udp in'
                ? n.port
                : n.type === 'tcp in' && n.server === 'server'
                  ? n.port
                  : undefined;
        if (port !== undefined && Number(port) !== 0) claim(Number(port), `${file} (${n.type} "${n.name || n.id}")`);
      }
    }
  });

  for (const file of files) {
    describe(file, () => {
      const flow = JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));

      it('is a flow of known node types whose ids, tabs, wires and endpoints all resolve', () => {
        assert.ok(Array.isArray(flow) && flow.length > 0);
        const byId = new Map(flow.map((n) => [n.id, n]));
        assert.equal(byId.size, flow.length, 'ids are unique');
        assert.ok(
          flow.some((n) => n.type === 'comment' && n.name && n.info),
          'a comment node explains the flow',
        );
        for (const n of flow) {
          assert.match(n.id, /^[0-9a-f]{16}$/);
          assert.ok(n.type === 'tab' || ours.includes(n.type) || core[n.type], `${n.id}: known type ${n.type}`);
          if (n.z !== undefined) assert.equal(byId.get(n.z)?.type, 'tab', `${n.id}: z is a tab of this file`);
          if (configTypes.includes(n.type) || n.type === 'tab') {
            assert.equal(n.wires, undefined);
            continue;
          }
          assert.ok(Array.isArray(n.wires), `${n.id}: wires`);
          for (const port of n.wires)
            for (const target of port) assert.ok(byId.has(target), `${n.id}: wired to ${target}`);
          if (n.endpoint)
            assert.equal(byId.get(n.endpoint)?.type, 'osc-udp', `${n.id}: endpoint is an osc-udp of this file`);
          if (n.tcpEndpoint)
            assert.equal(byId.get(n.tcpEndpoint)?.type, 'osc-tcp', `${n.id}: tcpEndpoint is an osc-tcp of this file`);
          if (n.type === 'osc-in')
            assert.ok(n.transport === 'tcp' ? n.tcpEndpoint : n.endpoint, 'osc-in needs an endpoint');
          if (n.type === 'osc-route') {
            for (const r of n.rules) assert.doesNotThrow(() => compilePattern(r.pattern), r.pattern);
            const outputs = n.rules.length + (n.otherwise ? 1 : 0);
            assert.equal(n.outputs, outputs);
            assert.equal(n.wires.length, outputs);
          }
        }
      });

      it('deploys in Node-RED with every node created', async () => {
        const deployed = safeToDeploy(flow);
        // The helper runs flows on a tab: give tab-less examples one, as importing into the editor does.
        if (!deployed.some((n) => n.type === 'tab')) {
          deployed.unshift({ id: 'tab0', type: 'tab', label: 'example' });
          for (const n of deployed) if (!configTypes.includes(n.type) && n.id !== 'tab0') n.z = 'tab0';
        }
        await helper.load([...new Set(Object.values(core)), ...runtimes], deployed);
        try {
          for (const n of deployed) {
            if (n.type === 'tab') continue;
            const node = helper.getNode(n.id);
            assert.ok(node, `${n.type} ${n.id} was created`);
            if (node.error && node.error.called)
              assert.fail(`${n.type} ${n.id} reported ${node.error.firstCall.args[0]}`);
          }
        } finally {
          await helper.unload();
        }
      });
    });
  }

  it('the npm start demo: OSC sent by osc-out comes back through osc-in and osc-route', async () => {
    const flow = safeToDeploy(JSON.parse(fs.readFileSync(path.join(root, 'scripts', 'demo-flow.json'), 'utf8')));
    // Debug nodes become helper nodes so the test sees what the sidebar would show; the destination port
    // comes from msg.port, because the test's endpoint listens on a free port rather than the demo's 9000.
    for (const n of flow) {
      if (n.type === 'debug') n.type = 'helper';
      if (n.type === 'osc-out') n.port = '';
    }
    await helper.load([...new Set(Object.values(core)), ...runtimes], flow);
    const udp = helper.getNode(flow.find((n) => n.type === 'osc-udp').id);
    const probe = {};
    const opened = new Promise((resolve) => {
      probe.onStateChange = (ep) => ep.state === 'open' && resolve(ep);
    });
    const handle = udp.register(probe);
    try {
      const ep = handle.endpoint.state === 'open' ? handle.endpoint : await opened;
      const byName = (name) => helper.getNode(flow.find((n) => n.name === name).id);
      const fader = new Promise((resolve) => byName('faders: msg.route').once('input', resolve));
      const other = new Promise((resolve) => byName('not a fader').once('input', resolve));
      const out = helper.getNode(flow.find((n) => n.type === 'osc-out').id);
      out.receive({ topic: '/demo/fader2', payload: 0.25, port: ep.address.port });
      out.receive({ topic: '/demo/mixed', payload: [1, 2.5, 'text', true], port: ep.address.port });
      const f = await fader;
      assert.deepEqual(
        [f.topic, f.payload, f.osc.types, f.route],
        ['/demo/fader2', 0.25, ',f', { index: 0, pattern: '/demo/fader*', parts: ['fader2'] }],
      );
      const o = await other;
      assert.deepEqual([o.topic, o.payload, o.osc.types], ['/demo/mixed', [1, 2.5, 'text', true], ',ifsT']);
    } finally {
      await handle.release();
      await helper.unload();
    }
  });
});
