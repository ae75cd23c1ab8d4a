'use strict';
// What a user of the palette manager gets, asked of a running Node-RED through its admin API: the same
// checks for every Node-RED release we support. `state()` returns { nr, installedDir } once the suite's
// before() hook has installed the package and started Node-RED.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { nodeDefinitions } = require('../../scripts/scorecard.js');
const { listeningPort } = require('./net');

const MODULE = '@oscflow/node-red-osc';

// Every registerType in the installed package's HTML (what the editor will define), per node set.
function installedDefinitions(installedDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(installedDir, 'package.json'), 'utf8'));
  const defs = [];
  for (const [set, file] of Object.entries(pkg['node-red'].nodes)) {
    const html = path.join(installedDir, file.replace(/\.js$/, '.html'));
    assert.ok(fs.existsSync(html), `${set}: ${path.relative(installedDir, html)} is not in the installed package`);
    for (const d of nodeDefinitions(fs.readFileSync(html, 'utf8'))) defs.push({ ...d, set, dir: path.dirname(html) });
  }
  return { pkg, defs };
}

// Log lines Node-RED wrote about us at warn or error level ("[error] [osc-in:...]", "[warn] [@oscflow/...]").
function complaintsAbout(lines, types) {
  const ours = new RegExp(`${MODULE.replace('/', '\\/')}|\\[(?:${types.join('|')})(?::[^\\]]*)?\\]`);
  return lines.filter((l) => /\[(warn|error)\]/.test(l) && ours.test(l));
}

function describeInstalledPackage(state) {
  it('loads every node set of the module, enabled and without an error', async () => {
    const { nr, installedDir } = state();
    const { pkg } = installedDefinitions(installedDir);
    const sets = await nr.getJson('/nodes');
    const ours = sets.filter((s) => s.module === MODULE);
    const expected = Object.keys(pkg['node-red'].nodes).sort();
    assert.deepEqual(ours.map((s) => s.name).sort(), expected, `node sets of ${MODULE} in GET /nodes`);
    for (const s of ours) {
      assert.equal(s.err, undefined, `${s.id} failed to load: ${s.err}\n${nr.log()}`);
      assert.equal(s.enabled, true, `${s.id} is disabled`);
      assert.ok(s.types.length > 0, `${s.id} registered no type`);
    }
    const info = await nr.getJson(`/nodes/${MODULE}`);
    assert.equal(info.version, pkg.version);
  });

  it('gives the editor exactly the types its HTML defines, user nodes in the OSC category', async () => {
    const { nr, installedDir } = state();
    const { defs } = installedDefinitions(installedDir);
    const sets = (await nr.getJson('/nodes')).filter((s) => s.module === MODULE);
    const runtimeTypes = sets.flatMap((s) => s.types).sort();
    assert.deepEqual(runtimeTypes, defs.map((d) => d.type).sort());
    for (const d of defs) {
      if (d.category !== 'config') assert.equal(d.category, 'OSC', `${d.type} is not in the OSC palette category`);
    }
  });

  it('serves the editor its definitions, forms and help for every type', async () => {
    const { nr, installedDir } = state();
    const { defs } = installedDefinitions(installedDir);
    const res = await nr.request('GET', '/nodes', { accept: 'text/html' });
    assert.equal(res.status, 200);
    const html = await res.text();
    for (const { type } of defs) {
      assert.match(html, new RegExp(`registerType\\(\\s*['"]${type}['"]`), `${type}: no definition in GET /nodes`);
      assert.match(html, new RegExp(`data-template-name=["']${type}["']`), `${type}: no edit form`);
      assert.match(html, new RegExp(`data-help-name=["']${type}["']`), `${type}: no help`);
    }
  });

  it('serves the message catalogue of every node set in en-US', async () => {
    const { nr, installedDir } = state();
    const { pkg } = installedDefinitions(installedDir);
    for (const set of Object.keys(pkg['node-red'].nodes)) {
      const catalogue = await nr.getJson(`/locales/${MODULE}/${set}?lng=en-US`);
      assert.ok(Object.keys(catalogue).length > 0, `${set}: empty message catalogue`);
    }
  });

  it('serves each node icon from the module, byte for byte', async () => {
    const { nr, installedDir } = state();
    const { defs } = installedDefinitions(installedDir);
    const listed = (await nr.getJson('/icons'))[MODULE] || [];
    const icons = defs.filter((d) => d.category !== 'config');
    assert.ok(icons.length > 0);
    for (const d of icons) {
      assert.ok(d.icon, `${d.type} names no icon`);
      assert.ok(
        listed.includes(d.icon),
        `${d.icon} (${d.type}) is not in GET /icons for ${MODULE}: ${listed.join(', ')}`,
      );
      // An unknown icon still answers 200 with Node-RED's default picture, so compare the bytes.
      const res = await nr.request('GET', `/icons/${MODULE}/${d.icon}`, { accept: '*/*' });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^image\/svg\+xml/);
      const served = Buffer.from(await res.arrayBuffer());
      assert.ok(served.equals(fs.readFileSync(path.join(d.dir, 'icons', d.icon))), `${d.icon}: served bytes differ`);
    }
  });

  it("serves the module's resources/ folder (scripts the editor halves load), byte for byte", async function () {
    const { nr, installedDir } = state();
    const dir = path.join(installedDir, 'resources');
    if (!fs.existsSync(dir)) this.skip(); // the package ships no editor resources
    const files = fs
      .readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => fs.statSync(path.join(dir, f)).isFile());
    assert.ok(files.length > 0, 'resources/ is empty');
    for (const f of files) {
      const res = await nr.request('GET', `/resources/${MODULE}/${f.split(path.sep).join('/')}`, { accept: '*/*' });
      assert.equal(res.status, 200, `resources/${f}`);
      assert.ok(
        Buffer.from(await res.arrayBuffer()).equals(fs.readFileSync(path.join(dir, f))),
        `resources/${f}: served bytes differ`,
      );
    }
  });

  it('lists the example flows in Import > Examples, each importable', async () => {
    const { nr, installedDir } = state();
    const { defs } = installedDefinitions(installedDir);
    assert.ok((await nr.getJson('/library/examples/flows/')).includes(MODULE), 'module not among the example sources');
    const listed = (await nr.getJson(`/library/examples/flows/${MODULE}`)).map((e) => e.fn).sort();
    const files = fs
      .readdirSync(path.join(installedDir, 'examples'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''))
      .sort();
    assert.ok(files.length > 0, 'no examples in the installed package');
    assert.deepEqual(listed, files);
    const used = new Set();
    for (const fn of listed) {
      const flow = await nr.getJson(`/library/examples/flows/${MODULE}/${fn}`);
      assert.ok(Array.isArray(flow) && flow.length > 0, `${fn}: not a flow`);
      for (const n of flow) used.add(n.type);
    }
    for (const d of defs) if (d.category !== 'config') assert.ok(used.has(d.type), `no example uses ${d.type}`);
  });

  it('deploys every example flow and stops it again without a complaint in the log', async () => {
    const { nr, installedDir } = state();
    const { defs } = installedDefinitions(installedDir);
    const types = defs.map((d) => d.type);
    // A stand-in for the devices that TCP examples connect to (QLab and the like), so a client finds its peer
    // here rather than warning that nobody listens.
    const peers = new Set();
    const device = net.createServer((socket) => {
      peers.add(socket);
      socket.on('error', () => {});
      socket.resume();
    });
    await new Promise((resolve, reject) => device.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
    const flows = [];
    for (const f of fs.readdirSync(path.join(installedDir, 'examples')).filter((x) => x.endsWith('.json'))) {
      const flow = JSON.parse(fs.readFileSync(path.join(installedDir, 'examples', f), 'utf8'));
      const tab = `tab-${f}`;
      flows.push({ id: tab, type: 'tab', label: f });
      for (const n of flow) {
        // Examples listen on the ports the real devices use; a shared test machine may have them taken.
        if (n.type === 'osc-udp') n.localPort = 0;
        if (n.type === 'osc-tcp' && n.mode === 'server') n.localPort = 0;
        else if (n.type === 'osc-tcp') Object.assign(n, { host: '127.0.0.1', port: String(listeningPort(device)) });
        if (n.type === 'tab') continue;
        // Flow nodes onto one tab per example; config nodes stay global, as an import leaves them.
        if (n.x !== undefined) n.z = tab;
        else delete n.z;
        flows.push(n);
      }
    }
    let stopped = false;
    try {
      const startLines = await nr.deploy(flows);
      assert.deepEqual(complaintsAbout(startLines, types), [], `complaints while starting the examples:\n${nr.log()}`);
      const deployed = await nr.getJson('/flows');
      const kinds = new Set((deployed.flows || deployed).map((n) => n.type));
      for (const t of new Set(flows.map((n) => n.type))) assert.ok(kinds.has(t), `${t} did not survive the deploy`);
      const stopLines = await nr.deploy([]);
      stopped = true;
      assert.deepEqual(complaintsAbout(stopLines, types), [], `complaints while stopping the examples:\n${nr.log()}`);
    } finally {
      // Later suites import these examples into the editor; left deployed, their ids would clash.
      if (!stopped) await nr.deploy([]).catch(() => {});
      for (const socket of peers) socket.destroy();
      await new Promise((resolve) => device.close(resolve));
    }
  });

  it('has written no warning or error about the module to the log', () => {
    const { nr, installedDir } = state();
    const { defs } = installedDefinitions(installedDir);
    assert.deepEqual(
      complaintsAbout(
        nr.lines,
        defs.map((d) => d.type),
      ),
      [],
      nr.log(),
    );
  });
}

module.exports = { MODULE, describeInstalledPackage, installedDefinitions, complaintsAbout };
