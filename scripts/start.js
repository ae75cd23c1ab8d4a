'use strict';
// `npm start`: a local Node-RED (the devDependency) on 127.0.0.1:1880 with this package loaded and, on the
// first run, a demo flow that sends OSC to itself. Environment overrides, for tests and busy machines:
//   OSCFLOW_PORT (1880; 0 = any free port), OSCFLOW_USER_DIR (.node-red/), OSCFLOW_DEMO_PORT (9000).
const { spawn } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const userDir = path.resolve(process.env.OSCFLOW_USER_DIR || path.join(root, '.node-red'));
const httpPort = Number(process.env.OSCFLOW_PORT ?? 1880);
const demoPort = Number(process.env.OSCFLOW_DEMO_PORT || 9000);
const flowFile = path.join(userDir, 'flows.json');
const demoTab = 'OSC demo';

function checkBuilt() {
  const pkg = require(path.join(root, 'package.json'));
  const missing = Object.values(pkg['node-red'].nodes).filter((f) => !fs.existsSync(path.join(root, f)));
  if (missing.length > 0) {
    console.error(`Not built: ${missing.join(', ')} missing. Run "npm start" (it builds first) or "npm run build".`);
    process.exit(1);
  }
}

/** The demo goes in only when there are no flows yet, so edits made in the editor are never overwritten. */
function installDemoFlow() {
  if (fs.existsSync(flowFile)) return false;
  const flow = JSON.parse(fs.readFileSync(path.join(__dirname, 'demo-flow.json'), 'utf8'));
  for (const n of flow) {
    if (n.type === 'osc-udp') n.localPort = demoPort;
    if (n.type === 'osc-out' && n.host === '127.0.0.1') n.port = String(demoPort);
  }
  fs.writeFileSync(flowFile, JSON.stringify(flow, null, 4) + '\n');
  return true;
}

/** The UDP port the demo in the existing flows listens on: undefined without a demo (or a flow file we can read). */
function demoPortInFlows() {
  try {
    const flows = JSON.parse(fs.readFileSync(flowFile, 'utf8'));
    const tab = flows.find((n) => n.type === 'tab' && n.label === demoTab);
    const oscIn = tab && flows.find((n) => n.type === 'osc-in' && n.z === tab.id);
    const endpoint = oscIn && flows.find((n) => n.id === oscIn.endpoint && n.type === 'osc-udp');
    return endpoint ? Number(endpoint.localPort) : undefined;
  } catch {
    return undefined;
  }
}

/** OSCFLOW_DEMO_PORT only applies to a demo being installed: say so rather than ignore it without a word. */
function explainIgnoredDemoPort(flowPort) {
  const asked = process.env.OSCFLOW_DEMO_PORT;
  if (!asked || Number(asked) === flowPort) return;
  const where =
    flowPort === undefined ? 'holds flows of yours, without the demo' : `holds the demo, on UDP port ${flowPort}`;
  console.warn(
    `\nOSCFLOW_DEMO_PORT=${asked} is not used: ${flowFile} already exists and ${where}; npm start never\n` +
      `overwrites it. For a fresh demo on port ${asked}: delete that file (your edits in it are lost) and run npm start again.\n`,
  );
}

function udpPortFree(port) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function tcpPortFree(port) {
  if (port === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function main() {
  checkBuilt();
  fs.mkdirSync(userDir, { recursive: true });
  if (installDemoFlow()) console.log(`Installed the demo flow in ${flowFile}`);
  else explainIgnoredDemoPort(demoPortInFlows());

  if (!(await tcpPortFree(httpPort))) {
    console.error(
      `Port ${httpPort} on 127.0.0.1 is in use (another Node-RED?). Stop it, or run: OSCFLOW_PORT=1881 npm start`,
    );
    process.exit(1);
  }
  const flowPort = demoPortInFlows();
  if (flowPort !== undefined && flowPort !== 0 && !(await udpPortFree(flowPort))) {
    console.warn(
      `\nUDP port ${flowPort} is in use by another program: the demo's osc in node will show a red status.\n` +
        `Free the port, or open the demo's "osc udp" endpoint in the editor and pick another port (and the same\n` +
        `port in the osc out node). For a fresh demo on another port: delete ${flowFile} and run\n` +
        `OSCFLOW_DEMO_PORT=9100 npm start\n`,
    );
  }

  const red = require.resolve('node-red/red.js', { paths: [root] });
  const child = spawn(
    process.execPath,
    [red, '--settings', path.join(__dirname, 'dev-settings.js'), '--userDir', userDir, '--port', String(httpPort)],
    { stdio: 'inherit', env: { ...process.env, OSCFLOW_PORT: String(httpPort) } },
  );
  for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
