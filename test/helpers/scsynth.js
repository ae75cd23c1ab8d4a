'use strict';
// SuperCollider's server (scsynth) for interop tests: a dummy JACK server of its own (a unique name, so parallel
// runs do not meet), then scsynth on a free UDP port, awaited until it says it is ready. Both run without
// realtime scheduling, which a container (or root without limits) does not grant.
const fs = require('node:fs');
const { spawn, execFile } = require('node:child_process');
const { freeUdpPort } = require('./net');

const JACKD = '/usr/bin/jackd';
const JACK_WAIT = '/usr/bin/jack_wait';
const SCSYNTH = '/usr/bin/scsynth';

/** Why the peers cannot run here, or '' when they can. */
function scsynthMissing() {
  const missing = [JACKD, JACK_WAIT, SCSYNTH].filter((f) => !fs.existsSync(f));
  return missing.length === 0
    ? ''
    : `${missing.join(', ')} not installed (apt-get install supercollider-server jackd2)`;
}

let serial = 0;

/** Resolves once the child exits (at once if it has). */
function exited(child) {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', resolve));
}

/** Resolves when `child` prints a line matching `re`; rejects if it exits first. */
function lineFrom(child, re, what) {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d) => {
      text += d;
      if (re.test(text)) {
        child.stdout.off('data', onData);
        child.off('exit', onExit);
        resolve(text);
      }
    };
    const onExit = (code) => reject(new Error(`${what} exited (${code}) before it was ready:\n${text}`));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * Starts jackd (dummy driver) and scsynth; resolves with { port, stop() }. A port taken between choosing and
 * binding it makes scsynth exit: it is tried again on another.
 */
async function startScsynth() {
  const name = `oscflow-${process.pid}-${++serial}`;
  const env = { ...process.env, JACK_DEFAULT_SERVER: name, JACK_NO_AUDIO_RESERVATION: '1' };
  const jackd = spawn(JACKD, ['--no-realtime', '-n', name, '-d', 'dummy', '-r', '48000'], {
    env,
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const stopJack = async () => {
    if (jackd.exitCode === null && jackd.signalCode === null) jackd.kill('SIGTERM');
    await exited(jackd);
  };
  try {
    await new Promise((resolve, reject) =>
      execFile(JACK_WAIT, ['-w', '-s', name, '-t', '20'], { env }, (err, stdout) =>
        err ? reject(new Error(`jackd ${name} did not start: ${stdout}`)) : resolve(),
      ),
    );
    for (let attempt = 1; ; attempt++) {
      const port = await freeUdpPort('0.0.0.0');
      const sc = spawn(SCSYNTH, ['-u', String(port), '-R', '0', '-l', '8'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      sc.stderr.setEncoding('utf8');
      sc.stderr.on('data', (d) => (err += d));
      try {
        await lineFrom(sc, /SuperCollider 3 server ready\./, 'scsynth');
      } catch (e) {
        if (attempt < 5 && /bind|address already in use/i.test(e.message + err)) continue;
        throw new Error(`${e.message}\n${err}`, { cause: e });
      }
      return {
        port,
        async stop() {
          if (sc.exitCode === null && sc.signalCode === null) sc.kill('SIGTERM');
          await exited(sc);
          await stopJack();
        },
      };
    }
  } catch (e) {
    await stopJack();
    throw e;
  }
}

module.exports = { startScsynth, scsynthMissing };
