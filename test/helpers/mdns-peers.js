'use strict';
// Independent mDNS peers for the discovery tests (mdns-interop, discovery-nodes, e2e browse): python3-zeroconf
// (test/helpers/zeroconf-peer.py, driven by commands, or as a ready-made browser or registered service), Avahi (its
// daemon on a private D-Bus, in a private mount namespace so its pid file does not meet the system's), and a
// network namespace joined by a veth pair. Each returns null with a reason when it cannot run here.
const { spawn, execFileSync, execSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PYTHON = '/usr/bin/python3';

/** Lines of a child's stdout as they come; until(pred) resolves with the first line (past or future) it accepts. */
function lineReader(stream, parse = (l) => l) {
  const items = [];
  const waiters = [];
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let item;
      try {
        item = parse(line);
      } catch {
        continue;
      }
      if (item === undefined) continue;
      items.push(item);
      for (const w of [...waiters])
        if (w.pred(item)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(item);
        }
    }
  });
  return {
    items,
    until(pred, from = 0) {
      const hit = items.slice(from).find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

function zeroconfAvailable() {
  try {
    execFileSync(PYTHON, ['-c', 'import zeroconf'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A python-zeroconf peer. `interfaces`: 'lo', 'all' or one IPv4 address; `netns`: run it in that namespace.
 * Resolves once it listens.
 */
async function zeroconfPeer(interfaces = 'lo', netns) {
  const script = path.join(__dirname, 'zeroconf-peer.py');
  const child = netns
    ? spawn('ip', ['netns', 'exec', netns, PYTHON, script, interfaces], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(PYTHON, [script, interfaces], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const reader = lineReader(child.stdout, (l) => JSON.parse(l));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await Promise.race([
    reader.until((e) => e.event === 'ready'),
    exited.then((code) => {
      throw new Error(`zeroconf peer exited ${code}: ${stderr}`);
    }),
  ]);
  const gone = () =>
    exited.then((code) => {
      throw new Error(`zeroconf peer exited ${code}: ${stderr.slice(-2000)}`);
    });
  return {
    events: reader.items,
    /** Resolves with the first event (from index `from` on) `pred` accepts; rejects if the peer exits first. */
    until: (pred, from) => Promise.race([reader.until(pred, from), gone()]),
    send(cmd) {
      child.stdin.write(JSON.stringify(cmd) + '\n');
    },
    async close() {
      if (child.exitCode !== null) return;
      child.stdin.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
    get stderr() {
      return stderr;
    },
  };
}

/** A python-zeroconf browser of `type` ("_osc._udp") on the loopback; resolves once it browses. */
async function zeroconfBrowser(type) {
  const peer = await zeroconfPeer('lo');
  peer.send({ cmd: 'browse', type });
  await peer.until((e) => e.event === 'browsing' && e.type === type);
  return peer;
}

/**
 * A service python-zeroconf registers on 127.0.0.1 (host zeroconf-peer.local.) under exactly `name`; resolves once
 * registered, and is unregistered (goodbye packets) when the peer closes.
 */
async function zeroconfService(type, name, port, txt = {}) {
  const peer = await zeroconfPeer('lo');
  peer.send({ cmd: 'register', name, type, port, txt });
  const e = await peer.until((x) => ['registered', 'conflict', 'error'].includes(x.event) && x.name === name);
  if (e.event !== 'registered') {
    await peer.close();
    throw new Error(`zeroconf could not register ${name}.${type}: ${e.message || 'the name is taken'}`);
  }
  return peer;
}

// ---------------------------------------------------------------- Avahi

/**
 * avahi-daemon on a D-Bus of its own (unix socket in a temp dir), in a private mount namespace (its pid file
 * lives in /run/avahi-daemon), sharing the network with us. Resolves to { env, browse, publish, stop } or
 * { skip: reason }.
 */
async function startAvahi() {
  for (const bin of ['dbus-daemon', 'avahi-daemon', 'avahi-browse', 'avahi-publish', 'unshare'])
    try {
      execSync(`command -v ${bin}`, { stdio: 'pipe' });
    } catch {
      return { skip: `${bin} is not installed` };
    }
  if (process.getuid && process.getuid() !== 0) return { skip: 'avahi-daemon needs root here' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oscflow-avahi-'));
  const bus = path.join(dir, 'bus');
  fs.writeFileSync(
    path.join(dir, 'bus.conf'),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=${bus}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*" eavesdrop="true"/>
<allow receive_sender="*"/></policy></busconfig>
`,
  );
  fs.writeFileSync(
    path.join(dir, 'avahi.conf'),
    '[server]\nuse-ipv4=yes\nuse-ipv6=no\nenable-dbus=yes\n[publish]\npublish-hinfo=no\npublish-workstation=no\n',
  );
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${bus}` };
  const children = [];
  const stop = async () => {
    for (const c of children.reverse()) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const gone = new Promise((r) => c.on('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const dbus = spawn('dbus-daemon', [`--config-file=${path.join(dir, 'bus.conf')}`, '--nofork', '--print-address'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(dbus);
  const dbusReady = lineReader(dbus.stdout);
  const dbusUp = await Promise.race([
    dbusReady.until((l) => l.startsWith('unix:')).then(() => true),
    new Promise((r) => dbus.on('exit', () => r(false))),
  ]);
  if (!dbusUp) {
    await stop();
    return { skip: 'dbus-daemon did not start' };
  }
  const daemon = spawn(
    'unshare',
    [
      '-m',
      'sh',
      '-c',
      `mount -t tmpfs none /run && mkdir -p /run/avahi-daemon && exec avahi-daemon -f ${path.join(dir, 'avahi.conf')} --no-drop-root --no-chroot --no-rlimits`,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(daemon);
  let log = '';
  const logReader = lineReader(daemon.stderr, (l) => ((log += l + '\n'), l));
  const up = await Promise.race([
    logReader.until((l) => l.startsWith('Server startup complete')).then(() => true),
    new Promise((r) => daemon.on('exit', () => r(false))),
    new Promise((r) => setTimeout(() => r(false), 15000).unref()),
  ]);
  if (!up) {
    await stop();
    return { skip: `avahi-daemon did not start: ${log.slice(0, 500)}` };
  }
  return {
    env,
    log: () => log,
    /** avahi-browse -rp: lines split on ';' ('+' new, '=' resolved, '-' removed), interface in field 1. */
    browse(type) {
      const c = spawn('avahi-browse', ['-rp', type], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(c);
      const r = lineReader(c.stdout, (l) => l.split(';'));
      return { lines: r.items, until: r.until, stop: () => c.kill('SIGTERM') };
    },
    /** avahi-publish -s: resolves with the name it was established under, or rejects with its error. */
    publish(name, type, port, txt = []) {
      const c = spawn('avahi-publish', ['-s', name, type, String(port), ...txt], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(c);
      const r = lineReader(c.stderr);
      const established = Promise.race([
        r.until((l) => l.startsWith('Established under name')).then((l) => /'(.*)'/.exec(l)[1]),
        r.until((l) => /collision|failed/i.test(l)).then((l) => Promise.reject(new Error(l))),
      ]);
      return { established, lines: r.items, until: r.until, stop: () => c.kill('SIGTERM') };
    },
    stop,
  };
}

// ---------------------------------------------------------------- a network namespace on a veth link

/**
 * A namespace joined to us by a veth pair: our end `local` (x.x.x.1/30), theirs `remote` (x.x.x.2). Returns
 * null when it cannot be made here (needs root and iproute2).
 */
function vethNamespace(tag) {
  const id = `${tag}${process.pid % 100000}`;
  const ns = `oscflow-${id}`;
  const ifA = `md${id}a`.slice(0, 15);
  const ifB = `md${id}b`.slice(0, 15);
  const net3 = `10.251.${process.pid % 250}`;
  const local = `${net3}.1`;
  const remote = `${net3}.2`;
  const sh = (cmd) => execSync(cmd, { stdio: 'pipe' });
  const destroy = () => {
    for (const cmd of [`ip link del ${ifA}`, `ip netns del ${ns}`])
      try {
        sh(cmd);
      } catch {
        /* not there */
      }
  };
  try {
    sh(`ip netns add ${ns}`);
    sh(`ip link add ${ifA} type veth peer name ${ifB}`);
    sh(`ip link set ${ifB} netns ${ns}`);
    sh(`ip addr add ${local}/30 dev ${ifA} && ip link set ${ifA} multicast on up`);
    sh(`ip netns exec ${ns} ip addr add ${remote}/30 dev ${ifB}`);
    sh(`ip netns exec ${ns} ip link set ${ifB} multicast on up`);
    sh(`ip netns exec ${ns} ip link set lo up`);
  } catch (e) {
    destroy();
    return null;
  }
  return { ns, ifA, ifB, local, remote, destroy };
}

module.exports = {
  zeroconfAvailable,
  zeroconfPeer,
  zeroconfBrowser,
  zeroconfService,
  startAvahi,
  vethNamespace,
  lineReader,
};
