'use strict';
// `npm start` (scripts/start.js, after the build): a real Node-RED with our node set loaded and the demo flow,
// in a temporary user directory on free ports.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const READY = /Server now running at (http:\/\/\S+?)\/?\s*$/m;

function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Runs scripts/start.js until Node-RED listens and runs the flows; resolves with its URL, the output so far and a stop(). */
function start(env) {
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.js')], {
    env: { ...process.env, OSCFLOW_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      output += d;
      const m = READY.exec(output);
      // The admin API answers before the flows are loaded; the flows are what these tests look at.
      if (m && /\[info\] Started flows/.test(output)) resolve({ url: m[1], output: () => output, stop });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then((code) => reject(new Error(`start.js exited (${code}) before Node-RED was ready:\n${output}`)));
  });
}

describe('npm start (scripts/start.js)', function () {
  this.timeout(60000);
  let userDir;
  let run;
  let busy;

  beforeEach(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oscflow-start-'));
  });
  afterEach(async () => {
    if (run) await run.stop();
    if (busy) busy.close();
    run = busy = undefined;
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('loads our node set into Node-RED with the demo flow on the demo port', async () => {
    const demoPort = await freeUdpPort();
    run = await start({ OSCFLOW_USER_DIR: userDir, OSCFLOW_DEMO_PORT: String(demoPort) });
    const sets = await (await fetch(`${run.url}/nodes`, { headers: { Accept: 'application/json' } })).json();
    const ours = sets.filter((s) => s.module === '@oscflow/node-red-osc');
    assert.deepEqual(ours.map((s) => [s.types[0], s.enabled, s.err]).sort(), [
      ['osc-codec', true, undefined],
      ['osc-in', true, undefined],
      ['osc-out', true, undefined],
      ['osc-query', true, undefined],
      ['osc-request', true, undefined],
      ['osc-route', true, undefined],
      ['osc-tcp', true, undefined],
      ['osc-udp', true, undefined],
    ]);
    assert.equal(
      sets.some((s) => s.module === 'node-red-contrib-osc'),
      false,
      'the benchmark peer stays out of the palette',
    );
    const flows = await (await fetch(`${run.url}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } })).json();
    assert.equal(flows.find((n) => n.type === 'osc-udp').localPort, demoPort);
    assert.equal(flows.find((n) => n.type === 'osc-out').port, String(demoPort));
    assert.ok(flows.some((n) => n.type === 'tab' && n.label === 'OSC demo'));
  });

  it("never overwrites the user's flows, and says so when the demo port is busy", async () => {
    busy = dgram.createSocket('udp4');
    const demoPort = await new Promise((resolve) => busy.bind(0, '127.0.0.1', () => resolve(busy.address().port)));
    const flowFile = path.join(userDir, 'flows.json');
    const demo = JSON.parse(fs.readFileSync(path.join(root, 'scripts', 'demo-flow.json'), 'utf8'));
    const mine = [
      ...demo,
      { id: 'aaaaaaaaaaaaaaaa', type: 'comment', z: demo[0].id, name: 'my edit', info: '', x: 100, y: 500, wires: [] },
    ];
    for (const n of mine) if (n.type === 'osc-udp') n.localPort = demoPort;
    fs.writeFileSync(flowFile, JSON.stringify(mine));
    run = await start({ OSCFLOW_USER_DIR: userDir, OSCFLOW_DEMO_PORT: String(demoPort) });
    assert.match(run.output(), new RegExp(`UDP port ${demoPort} is in use by another program`));
    assert.doesNotMatch(run.output(), /Installed the demo flow/);
    const flows = await (await fetch(`${run.url}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } })).json();
    assert.ok(Array.isArray(flows), JSON.stringify(flows));
    assert.ok(flows.some((n) => n.name === 'my edit'));
  });

  it('says that OSCFLOW_DEMO_PORT is not used when the flows exist already, and keeps them', async () => {
    const [kept, asked] = [await freeUdpPort(), await freeUdpPort()];
    const flowFile = path.join(userDir, 'flows.json');
    const demo = JSON.parse(fs.readFileSync(path.join(root, 'scripts', 'demo-flow.json'), 'utf8'));
    for (const n of demo) if (n.type === 'osc-udp') n.localPort = kept;
    fs.writeFileSync(flowFile, JSON.stringify(demo));
    run = await start({ OSCFLOW_USER_DIR: userDir, OSCFLOW_DEMO_PORT: String(asked) });
    assert.match(
      run.output(),
      new RegExp(
        `OSCFLOW_DEMO_PORT=${asked} is not used: .*flows\\.json already exists and holds the demo, on UDP port ${kept}`,
      ),
    );
    assert.match(run.output(), /delete that file/);
    const flows = await (await fetch(`${run.url}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } })).json();
    assert.equal(flows.find((n) => n.type === 'osc-udp').localPort, kept);
  });

  it('says nothing about OSCFLOW_DEMO_PORT when it installs the demo with it', async () => {
    const demoPort = await freeUdpPort();
    run = await start({ OSCFLOW_USER_DIR: userDir, OSCFLOW_DEMO_PORT: String(demoPort) });
    assert.match(run.output(), /Installed the demo flow/);
    assert.doesNotMatch(run.output(), /OSCFLOW_DEMO_PORT=\d+ is not used/);
  });
});
