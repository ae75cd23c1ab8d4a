'use strict';
// What the fuzzer attacks, and what counts as a finding. Each target takes one input (bytes) and either returns
// an outcome label (used as cheap feedback: an input with a new outcome joins the corpus) or throws. The only
// acceptable throw is an OscError; anything else escaping is a crash, and a broken invariant is thrown as an
// InvariantError. Targets load the compiled modules from dist/ lazily, so a module not built yet is skipped, not
// fatal.
const path = require('node:path');
const { isDeepStrictEqual } = require('node:util');
const { createRng, mutate, mutateOnce } = require('./mutate');
const { validPackets, constructPatternCase, PATTERN_SEEDS } = require('./generate');

const DIST = path.resolve(__dirname, '..', 'dist', 'osc');

class InvariantError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InvariantError';
  }
}

/** `file` below dist/osc (or `../nodes/x.js` beside it), or null while it is not built. */
function tryRequire(file) {
  try {
    return require(path.join(DIST, file));
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND') return null;
    throw e;
  }
}

let errorsModule;
function isOscError(e) {
  errorsModule ??= tryRequire('errors.js');
  return Boolean(errorsModule && errorsModule.isOscError(e));
}

function fail(message) {
  throw new InvariantError(message);
}

// ---------------------------------------------------------------- decoder

const TAGS = new Set('ifdhsScbmrtTFNI['.split(''));

function checkArgs(args, where) {
  if (!Array.isArray(args)) fail(`${where}: args is not an array`);
  for (const a of args) {
    if (!a || !TAGS.has(a.type)) fail(`${where}: bad arg ${safe(a)}`);
    if (a.type === '[') checkArgs(a.value, where);
    if ((a.type === 'b' || a.type === 'm') && !(a.value instanceof Uint8Array))
      fail(`${where}: ${a.type} value is not bytes`);
    if ((a.type === 's' || a.type === 'S') && typeof a.value !== 'string')
      fail(`${where}: ${a.type} value is not a string`);
    if (a.type === 'h' && typeof a.value !== 'bigint') fail(`${where}: h value is not a bigint`);
  }
}

function checkPacket(p, depth, where) {
  if (depth > 1000) fail(`${where}: nesting deeper than 1000`);
  if (p && typeof p.address === 'string') {
    if (p.address[0] !== '/') fail(`${where}: address ${safe(p.address)} does not start with /`);
    checkArgs(p.args, where);
    return;
  }
  if (!p || !Array.isArray(p.packets) || !p.timetag) fail(`${where}: neither message nor bundle: ${safe(p)}`);
  for (const c of p.packets) checkPacket(c, depth + 1, where);
}

function safe(v) {
  try {
    return JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? `${x}n` : x)).slice(0, 200);
  } catch {
    return String(v);
  }
}

// Buffers and Uint8Arrays compare by content; NaN equals NaN (float payloads may not survive, the value does).
function samePacket(a, b) {
  return isDeepStrictEqual(normalise(a), normalise(b));
}
function normalise(v) {
  if (v instanceof Uint8Array) return `bytes:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) o[k] = normalise(v[k]);
    return o;
  }
  return v;
}

function outcomeOf(p) {
  if (Array.isArray(p.packets)) return `bundle:${p.packets.length > 3 ? 'n' : p.packets.length}`;
  return `msg:${p.args
    .map((a) => a.type)
    .join('')
    .slice(0, 6)}`;
}

function decoderTarget(name, options) {
  let codec;
  let seeds;
  return {
    name,
    description: `decodePacket(bytes, ${JSON.stringify(options)}), then re-encode and decode again`,
    load() {
      codec = tryRequire('codec.js');
      return codec && typeof codec.decodePacket === 'function' ? null : 'dist/osc/codec.js has no decodePacket yet';
    },
    seeds(seed) {
      if (seeds) return seeds;
      const vectors = require('../test/fixtures/vectors.json');
      seeds = [...vectors.valid, ...vectors.malformed].map((v) => Buffer.from(v.hex, 'hex'));
      for (const f of vectors.framing) seeds.push(Buffer.from(f.packet_hex, 'hex'));
      seeds.push(...validPackets(codec, seed, 200));
      return seeds;
    },
    generate(rng, seed) {
      return validPackets(codec, seed, 20);
    },
    mutate(rng, input, other) {
      return mutate(rng, input, other, 1 << 17);
    },
    run(input) {
      let p;
      try {
        p = codec.decodePacket(input, options);
      } catch (e) {
        if (isOscError(e)) {
          // An offset outside the packet means the decoder lost track of where it was reading.
          if (!(e.offset >= -1 && e.offset <= input.length))
            fail(`OscError ${e.code} with offset ${e.offset} outside the ${input.length}-byte packet: ${e.message}`);
          return `err:${e.code}`;
        }
        throw e;
      }
      checkPacket(p, 0, 'decoded');
      let bytes;
      try {
        bytes = codec.encodePacket(p);
      } catch (e) {
        if (isOscError(e)) fail(`decoded packet cannot be re-encoded: ${e.code} ${e.message}`);
        throw e;
      }
      let again;
      try {
        again = codec.decodePacket(bytes, options);
      } catch (e) {
        if (isOscError(e))
          fail(
            `re-encoded packet does not decode: ${e.code} ${e.message} (re-encoded ${bytes.toString('hex').slice(0, 200)})`,
          );
        throw e;
      }
      if (!samePacket(p, again)) fail(`decode(encode(decode(x))) differs from decode(x): ${safe(p)} vs ${safe(again)}`);
      return outcomeOf(p);
    },
  };
}

/**
 * The inputs of a target fed whole packets: the decoder target's seeds and generator (`getDecoder()` once loaded),
 * mutated up to 64 KiB.
 */
function packetInputs(getDecoder) {
  return {
    seeds(seed) {
      return getDecoder().seeds(seed);
    },
    generate(rng, seed) {
      return getDecoder().generate(rng, seed);
    },
    mutate(rng, input, other) {
      return mutate(rng, input, other, 1 << 16);
    },
  };
}

// ---------------------------------------------------------------- the receive path of osc-in (and a relay)

/**
 * What osc-in does with a datagram after decoding it, and what an osc-out relaying it does next. A throw here
 * would be swallowed by the endpoint's dispatch guard: a packet lost silently, so anything but OscError is a bug.
 */
function receivePathTarget() {
  let codec;
  let convert;
  let decoder;
  return {
    name: 'receive-path',
    description:
      'decodePacket (lenient) -> messageToMsg / splitBundle / bundleToMsg -> msgToPacket -> encodePacket, as osc-in -> osc-out',
    load() {
      codec = tryRequire('codec.js');
      convert = tryRequire('../nodes/convert.js');
      if (!codec || !convert || typeof convert.messageToMsg !== 'function')
        return 'dist/nodes/convert.js not built yet';
      decoder = decoderTarget('receive-path', { lenient: true });
      decoder.load();
      return null;
    },
    ...packetInputs(() => decoder),
    run(input) {
      let p;
      try {
        p = codec.decodePacket(input, { lenient: true });
      } catch (e) {
        if (isOscError(e)) return `err:${e.code}`;
        throw e;
      }
      const msgs = [];
      if (Array.isArray(p.packets)) {
        msgs.push(convert.bundleToMsg(p, '127.0.0.1', 9000));
        msgs.push(...convert.splitBundle(p, '127.0.0.1', 9000, false));
        msgs.push(...convert.splitBundle(p, '127.0.0.1', 9000, true));
      } else {
        msgs.push(convert.messageToMsg(p, '127.0.0.1', 9000, false), convert.messageToMsg(p, '127.0.0.1', 9000, true));
      }
      let refused = 0;
      for (const msg of msgs) {
        try {
          codec.encodePacket(convert.msgToPacket(msg, { address: '', numbers: 'int' }));
        } catch (e) {
          // A received address may be a pattern, which osc-out refuses to send: an error the user sees, fine.
          if (isOscError(e) || (e && e.name === 'OscOutputError')) refused++;
          else throw e;
        }
      }
      return `${Array.isArray(p.packets) ? 'bundle' : 'msg'}:${msgs.length > 4 ? 'n' : msgs.length}:${refused ? 'refused' : 'relayed'}`;
    },
  };
}

/** osc-out's "/path 1 2.5 foo" text messages, typed by hand in a flow: only OscError, and what parses encodes. */
function messageTextTarget() {
  let codec;
  let convert;
  return {
    name: 'message-text',
    description: 'parseMessageString(text) -> encodePacket',
    load() {
      codec = tryRequire('codec.js');
      convert = tryRequire('../nodes/convert.js');
      return codec && convert && typeof convert.parseMessageString === 'function'
        ? null
        : 'dist/nodes/convert.js not built yet';
    },
    seeds() {
      return [
        '/path 1 2.5 foo',
        '/a "quoted \\" text" \'single\' true false',
        '/x 2147483648 -0 1e309 NaN',
        '/ 1',
        '/a\t\n1',
        '/a "unterminated',
        '/a \\',
        'noslash 1',
        '/a 0x10 1_000 .5 5.',
      ].map((t) => Buffer.from(t, 'utf8'));
    },
    generate(rng) {
      const parts = ['/' + ['a', 'synth', 'ch/1', 'x y'][rng.int(4)]];
      for (let i = rng.int(6); i > 0; i--) {
        parts.push(
          rng.pick([
            '1',
            '-7',
            '2.5',
            '1e3',
            'true',
            'false',
            '"a b"',
            "'c'",
            '"\\"q\\""',
            '9007199254740993',
            '-2147483649',
            'NaN',
            'Infinity',
          ]),
        );
      }
      return [Buffer.from(parts.join(rng.chance(0.2) ? '\t' : ' '), 'utf8')];
    },
    mutate(rng, input, _other) {
      return Buffer.from(mutateString(rng, input.toString('utf8')), 'utf8');
    },
    run(input) {
      const text = input.toString('utf8');
      for (const numbers of ['int', 'float', 'double']) {
        let m;
        try {
          m = convert.parseMessageString(text, numbers);
        } catch (e) {
          if (isOscError(e) || (e && e.name === 'OscOutputError')) return `err:${e.code}`;
          throw e;
        }
        try {
          codec.encodePacket(m);
        } catch (e) {
          if (isOscError(e)) return `parsed-unencodable:${e.code}`;
          throw e;
        }
      }
      return 'ok';
    },
  };
}

// ---------------------------------------------------------------- stream decoders

const STREAM_MAX_FRAME = 4096; // small, so the fuzzer reaches the size limits often

/**
 * The first input byte says how the rest is cut into chunks (so a regression replays exactly): 0 whole, else
 * chunk sizes from a tiny generator seeded by it, 1 to 1 + (byte % 64) bytes each.
 */
function chunksOf(input) {
  const body = input.subarray(1);
  const plan = input.length ? input[0] : 0;
  if (plan === 0) return [body];
  const chunks = [];
  const rng = createRng(plan);
  const max = 1 + (plan % 64);
  for (let i = 0; i < body.length;) {
    const n = 1 + rng.int(max);
    // A fresh copy per chunk: decoders may keep views into a chunk, as a socket's fresh buffers allow.
    chunks.push(Buffer.from(body.subarray(i, i + n)));
    i += n;
  }
  return chunks;
}

function runStream(framing, factory, chunks) {
  const frames = [];
  const errors = [];
  const dec = factory({
    maxFrameSize: STREAM_MAX_FRAME,
    onError(err, fatal) {
      if (!isOscError(err)) fail(`${framing}: onError got a ${err && err.name}, not an OscError`);
      errors.push(`${err.code}${fatal ? '!' : ''}`);
    },
  });
  for (const chunk of chunks) {
    const wasFailed = dec.failed;
    const out = dec.push(chunk);
    if (!Array.isArray(out)) fail(`${framing}: push returned ${safe(out)}`);
    for (const f of out) {
      if (!Buffer.isBuffer(f)) fail(`${framing}: a frame is not a Buffer`);
      if (f.length === 0) fail(`${framing}: empty frame returned`);
      if (f.length > STREAM_MAX_FRAME)
        fail(`${framing}: frame of ${f.length} bytes over maxFrameSize ${STREAM_MAX_FRAME}`);
      frames.push(f); // chunks are never reused here, so a view stays valid
    }
    if (wasFailed && out.length) fail(`${framing}: frames returned after a fatal error`);
    // Memory must stay bounded whatever a peer sends: a partial frame, plus a 4-byte size prefix at most.
    if (dec.buffered > STREAM_MAX_FRAME + 4) fail(`${framing}: buffering ${dec.buffered} bytes, over maxFrameSize`);
  }
  return { frames, errors, failed: dec.failed, dropped: dec.dropped };
}

function streamTarget(name, framing) {
  let framingModule;
  let codec;
  const factory = (options) => framingModule.createStreamDecoder(framing, options);
  return {
    name,
    description: `${framing} stream decoder, input cut into chunks; chunked result must equal the whole-stream result`,
    load() {
      framingModule = tryRequire('framing.js');
      codec = tryRequire('codec.js');
      return framingModule && typeof framingModule.createStreamDecoder === 'function'
        ? null
        : 'dist/osc/framing.js not built yet';
    },
    seeds(seed) {
      const vectors = require('../test/fixtures/vectors.json');
      const packets = vectors.valid.map((v) => Buffer.from(v.hex, 'hex'));
      if (codec && codec.encodePacket) packets.push(...validPackets(codec, seed, 50));
      const out = [];
      for (const f of vectors.framing) out.push(Buffer.concat([Buffer.from([0]), Buffer.from(f.stream_hex, 'hex')]));
      for (let i = 0; i < packets.length; i += 3) {
        const enc = (p) =>
          framing === 'slip' || (framing === 'auto' && i % 2)
            ? framingModule.slipEncode(p)
            : framingModule.lengthPrefixEncode(p);
        out.push(Buffer.concat([Buffer.from([i % 256]), ...packets.slice(i, i + 3).map(enc)]));
      }
      return out;
    },
    generate(rng) {
      const parts = [Buffer.from([rng.int(256)])];
      const slip = framing === 'slip' || (framing === 'auto' && rng.chance(0.5));
      const n = 1 + rng.int(6);
      for (let i = 0; i < n; i++) {
        const p = Buffer.alloc(4 * rng.int(rng.chance(0.1) ? 1030 : 16)); // sometimes just over maxFrameSize
        for (let k = 0; k < p.length; k++) p[k] = rng.chance(0.1) ? rng.pick([0xc0, 0xdb, 0xdc, 0xdd]) : rng.int(256);
        parts.push(slip ? framingModule.slipEncode(p) : framingModule.lengthPrefixEncode(p));
      }
      return [Buffer.concat(parts)];
    },
    mutate(rng, input, other) {
      // 8 KB streams: twice maxFrameSize, enough for every limit path. Throughput on long hostile streams is a
      // linear cost, measured separately (see docs/robustness.md); the per-call time limit is for superlinear blow-ups.
      return mutate(rng, input, other, 8 << 10);
    },
    run(input) {
      const chunked = runStream(framing, factory, chunksOf(input));
      const whole = runStream(framing, factory, [input.subarray(1)]);
      // Chunk boundaries are an accident of the network: they must never change what is decoded.
      const sameFrames =
        chunked.frames.length === whole.frames.length && chunked.frames.every((f, i) => f.equals(whole.frames[i]));
      if (
        !sameFrames ||
        chunked.failed !== whole.failed ||
        chunked.dropped !== whole.dropped ||
        !isDeepStrictEqual(chunked.errors, whole.errors)
      ) {
        const show = (r) => safe({ ...r, frames: r.frames.map((f) => f.toString('hex')) }).slice(0, 300);
        fail(`${framing}: chunked decoding differs from whole: ${show(chunked)} vs ${show(whole)}`);
      }
      return `${framing}:${whole.frames.length > 3 ? 'n' : whole.frames.length}:${whole.errors.slice(0, 2).join(',')}:${whole.failed}`;
    },
  };
}

// ---------------------------------------------------------------- address patterns

/** Pattern inputs are UTF-8 JSON: [pattern, address, expect?] where expect is 'y' or 'n' for constructed cases. */
function decodePatternInput(input) {
  const text = input.toString('utf8');
  try {
    const v = JSON.parse(text);
    if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'string') return v;
  } catch {
    // Not JSON (a hand-made regression): the whole text is the pattern, matched against itself.
  }
  return [text, text];
}

const encodePatternInput = (v) => Buffer.from(JSON.stringify(v), 'utf8');

const PATTERN_PIECES = [
  '*',
  '?',
  '//',
  '/',
  '[',
  ']',
  '[!',
  '{',
  '}',
  ',',
  '-',
  '!',
  'a',
  'b',
  '{a,b}',
  '[a-z]',
  '[!a]',
  '\u{1f3b9}',
  '\ud800',
  '\udc00',
  '\0',
  ' ',
  '#',
  '\\',
  '.*',
  '(a+)+',
];

function mutateString(rng, s) {
  const cps = Array.from(s);
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    const at = rng.int(cps.length + 1);
    switch (rng.int(5)) {
      case 0:
        cps.splice(at, 0, rng.pick(PATTERN_PIECES));
        break;
      case 1:
        cps.splice(at, 1 + rng.int(3));
        break;
      case 2:
        if (cps.length) cps[rng.int(cps.length)] = String.fromCharCode(rng.int(rng.chance(0.8) ? 128 : 0x10000));
        break;
      case 3: {
        // repeat a slice: the shapes that blow up backtracking matchers
        const from = rng.int(cps.length + 1);
        const piece = cps.slice(from, from + 1 + rng.int(4));
        const times = 2 + rng.int(rng.chance(0.2) ? 200 : 10);
        for (let k = 0; k < times; k++) cps.splice(at, 0, ...piece);
        break;
      }
      default:
        cps.splice(at, 0, ...Array.from(randomAscii(rng)));
    }
  }
  return cps.join('').slice(0, 20000);
}

function randomAscii(rng) {
  let s = '';
  for (let i = rng.int(6); i >= 0; i--) s += String.fromCharCode(32 + rng.int(95));
  return s;
}

function patternTarget() {
  let pattern;
  return {
    name: 'pattern',
    description:
      'compilePattern / matchAddress / exec / Router on mutated and constructed patterns (constructed ones with a known answer)',
    load() {
      pattern = tryRequire('pattern.js');
      return pattern && typeof pattern.compilePattern === 'function' ? null : 'dist/osc/pattern.js not built yet';
    },
    seeds() {
      return PATTERN_SEEDS.map((v) => encodePatternInput(v));
    },
    generate(rng) {
      return [encodePatternInput(constructPatternCase(rng))];
    },
    mutate(rng, input, other) {
      const [p, a] = decodePatternInput(input);
      const [op, oa] = other ? decodePatternInput(other) : [p, a];
      switch (rng.int(4)) {
        case 0:
          return encodePatternInput([mutateString(rng, p), a]);
        case 1:
          return encodePatternInput([p, mutateString(rng, a)]);
        case 2:
          return encodePatternInput([p, rng.chance(0.5) ? oa : op]); // a pattern against another case's address
        default:
          return encodePatternInput([mutateString(rng, p), mutateString(rng, a)]);
      }
    },
    run(input) {
      const [p, a, expect] = decodePatternInput(input);
      let compiled;
      try {
        compiled = pattern.compilePattern(p);
      } catch (e) {
        if (isOscError(e)) {
          if (expect) fail(`constructed pattern ${safe(p)} refused: ${e.message}`);
          if (!(e.offset >= -1 && e.offset <= p.length)) fail(`BAD_PATTERN offset ${e.offset} outside the pattern`);
          return `err:${e.code}`;
        }
        throw e;
      }
      if (compiled.source !== p) fail('compiled.source differs from the pattern');
      const m = compiled.match(a);
      if (typeof m !== 'boolean') fail(`match returned ${safe(m)}`);
      const parts = compiled.exec(a);
      if ((parts !== null) !== m) fail(`exec ${safe(parts)} disagrees with match ${m}`);
      if (parts !== null && (!Array.isArray(parts) || parts.some((x) => typeof x !== 'string')))
        fail(`exec returned ${safe(parts)}`);
      if (pattern.matchAddress(p, a) !== m) fail('matchAddress disagrees with compilePattern().match');
      if (compiled.literal && m !== (a === p)) fail(`literal pattern matched ${m} but equality says ${a === p}`);
      if (compiled.match(p) === false && compiled.literal) fail('a literal pattern does not match itself');
      if (expect === 'y' && !m) fail(`${safe(p)} must match ${safe(a)} (constructed to match) but does not`);
      if (expect === 'n' && m) fail(`${safe(p)} must not match ${safe(a)} (one part too many) but does`);
      // The Router also takes incoming patterns (see router.ts): matched against literal rules only, and a
      // pattern rule only by equality.
      let routed = m;
      if (pattern.isPattern(a)) {
        if (!compiled.literal) routed = a === p;
        else {
          try {
            routed = pattern.compilePattern(a).match(p);
          } catch (e) {
            if (!isOscError(e)) throw e;
            routed = false;
          }
        }
      }
      const router = new pattern.Router();
      router.add(p, 1);
      const hits = router.match(a);
      if ((hits.length === 1) !== routed) fail(`Router.match found ${hits.length} rule(s), expected ${routed ? 1 : 0}`);
      if (pattern.patternCacheSize() > pattern.patternCacheLimit)
        fail(`pattern cache holds ${pattern.patternCacheSize()}, over its limit`);
      return `${m ? 'match' : 'nomatch'}:${compiled.literal ? 'lit' : 'pat'}:${parts ? Math.min(parts.length, 4) : '-'}`;
    },
  };
}

// ---------------------------------------------------------------- the live monitor

/**
 * The monitor's aggregator fed whatever arrives at an endpoint while an editor watches: it must never throw (a
 * tap's throw is swallowed, the packet then missing from the monitor), must stay within its caps, and what it
 * sends to the editor must be plain JSON (no bigint, no bytes) and short.
 */
function monitorTarget() {
  let agg;
  let watcher;
  let decoder;
  let fed = 0;
  const CAP = 8;
  const LOG = 16;
  return {
    name: 'monitor',
    description: 'MonitorAggregator.feed(bytes) -> batch() as JSON, within its caps',
    load() {
      const mod = tryRequire('../monitor/aggregator.js');
      if (!mod) return 'dist/monitor/aggregator.js not built yet';
      agg = new mod.MonitorAggregator({
        maxRowsPerEndpoint: CAP,
        logSize: LOG,
        maxLogPerBatch: LOG,
        maxString: 8,
        maxBlobBytes: 4,
        maxArgs: 4,
      });
      agg.addEndpoint({ id: 'e', name: 'fuzz', label: '127.0.0.1:9000', transport: 'udp' });
      watcher = agg.addWatcher({ pattern: '/*' });
      decoder = decoderTarget('monitor', {});
      decoder.load();
      return null;
    },
    ...packetInputs(() => decoder),
    run(input) {
      agg.feed(fed++ % 2 ? 'in' : 'out', input, { address: '127.0.0.1', port: 9000 }, 'e');
      if (agg.rowCount > CAP) fail(`monitor holds ${agg.rowCount} rows, over its cap ${CAP}`);
      if (agg.logLength > LOG) fail(`monitor log holds ${agg.logLength}, over ${LOG}`);
      const b = agg.batch(watcher, true);
      const json = JSON.stringify(b);
      if (!isDeepStrictEqual(JSON.parse(json), b)) fail('a monitor batch is not plain JSON');
      // Every value is cut: a batch of CAP rows and LOG messages of 4 short args each stays small.
      if (json.length > 64 * 1024) fail(`a monitor batch of ${json.length} characters`);
      const e = b.endpoints[0];
      return `${b.rows.length ? 'row' : 'none'}:${e.counts.malformed > 0 ? 'malformed' : 'ok'}`;
    },
  };
}

// ---------------------------------------------------------------- GET osc/services (issue 16)

/**
 * The admin route's only input from the editor is its query string, parsed as Express parses it (qs: arrays,
 * nested objects): typesOf() must answer with known service types or undefined (a 400), never throw.
 */
function servicesQueryTarget() {
  let services;
  let parse;
  const KNOWN = new Set(['_osc._udp', '_osc._tcp', '_oscjson._tcp']);
  return {
    name: 'services-query',
    description: "GET osc/services query string -> Express's own query parser -> typesOf",
    load() {
      try {
        services = require(path.join(DIST, '..', 'nodes', 'services.js'));
        parse = require('express/lib/utils').compileQueryParser('extended');
      } catch (e) {
        if (!e || e.code !== 'MODULE_NOT_FOUND') throw e;
      }
      return services && parse ? null : 'dist/nodes/services.js not built yet';
    },
    seeds() {
      return [
        '',
        'type=_osc._udp',
        'type=_osc._udp,_osc._tcp',
        'type=_osc._udp&type=_oscjson._tcp',
        'type[]=_osc._tcp',
        'type[a][b]=_osc._udp',
        'type=_http._tcp',
        'type=%00',
        'type=,,,',
        'type[0]=&type[1]=x',
        'type[toString]=1&type=_osc._udp',
      ].map((t) => Buffer.from(t, 'utf8'));
    },
    generate(rng) {
      return [Buffer.from(`type=${randomAscii(rng)}`, 'utf8')];
    },
    mutate(rng, input) {
      return mutate(rng, input);
    },
    run(input) {
      const query = parse(input.toString('utf8'));
      const types = services.typesOf(query.type);
      if (types === undefined) return 'refused';
      if (!Array.isArray(types) || types.length === 0) fail(`typesOf returned ${safe(types)}`);
      if (types.some((t) => !KNOWN.has(t))) fail(`typesOf let through ${safe(types)}`);
      if (new Set(types).size !== types.length) fail(`typesOf repeated a type: ${safe(types)}`);
      return `types:${types.length}`;
    },
  };
}

// ---------------------------------------------------------------- OSCQuery: a device's address space (issue 17)

/**
 * What the OSCQuery client does with a device's answer: the body as JSON (parseJsonBody), the tree flattened
 * (parseAddressSpace) and HOST_INFO read (parseHostInfo), then sent to the editor (JSON.stringify). Only a
 * RemoteError may escape; the flat map must be what it claims, within the caps, and small beside its input.
 */
function addressSpaceTarget() {
  let remote;
  const LIMITS = { maxBytes: 1 << 17, maxDepth: 32, maxNodes: 2000 };
  const SEEDS = [
    require('../test/fixtures/oscquery-tree.json'),
    {
      DESCRIPTION: 'root node',
      FULL_PATH: '/',
      ACCESS: 0,
      CONTENTS: {
        foo: { FULL_PATH: '/foo', ACCESS: 1, TYPE: 'f', VALUE: [0.5], RANGE: [{ MIN: 0, MAX: 100 }] },
        bar: { FULL_PATH: '/bar', ACCESS: 3, TYPE: 'ii', VALUE: [4, 51] },
        baz: { CONTENTS: { qux: { TYPE: 's', RANGE: [{ VALS: ['empty', 'half-full', 'full'] }] } } },
      },
    },
    {
      CONTENTS: {
        a: { TYPE: '[ff]i', VALUE: [[1, 2], 3], UNIT: ['m', null], CLIPMODE: 'both' },
        b: { TYPE: ',T' },
        'c*': { TYPE: 'f' },
      },
    },
    {
      NAME: 'dev',
      EXTENSIONS: { LISTEN: true, VALUE: true },
      OSC_IP: '127.0.0.1',
      OSC_PORT: 9000,
      OSC_TRANSPORT: 'UDP',
      WS_PORT: 8080,
    },
  ].map((v) => Buffer.from(JSON.stringify(v), 'utf8'));

  /** A random tree: deep, wide, or of the wrong shapes. */
  function randomTree(rng, depth, budget = { nodes: 400 }) {
    const r = rng.int(10);
    if (depth > 40 || r === 0 || --budget.nodes < 0) return rng.pick([null, 1, 'x', true, [], [1, [2]], {}]);
    const node = {};
    if (rng.chance(0.5)) node.TYPE = rng.pick(['f', 'i', 'ii', ',s', '[ff]', '[', 'X', '', 'TF', 'N', 7]);
    if (rng.chance(0.3)) node.VALUE = rng.pick([[1], 1, [[[[1]]]], ['a', null], 'x']);
    if (rng.chance(0.3)) node.RANGE = rng.pick([[{ MIN: 0, MAX: 1 }], { VALS: [1, 2] }, [null], 5]);
    if (rng.chance(0.3)) node.ACCESS = rng.pick([0, 1, 2, 3, 4, -1, 1.5, '3']);
    if (rng.chance(0.2)) node.DESCRIPTION = rng.pick(['d', 5, 'x'.repeat(5000)]);
    if (rng.chance(0.7)) {
      if (rng.chance(0.1)) {
        node.CONTENTS = rng.pick([[], 'x', null]);
        return node;
      }
      node.CONTENTS = {};
      const n = rng.chance(0.1) ? 50 : rng.int(4);
      for (let k = 0; k < n; k++)
        node.CONTENTS[rng.pick(['a', 'b', 'x y', '*', '', 'long'.repeat(rng.int(80)), String(k)])] = randomTree(
          rng,
          depth + 1 + (rng.chance(0.2) ? 10 : 0),
          budget,
        );
    }
    return node;
  }

  return {
    name: 'address-space',
    description: 'OSCQuery client: parseJsonBody -> parseAddressSpace / parseHostInfo -> JSON.stringify',
    load() {
      remote = tryRequire('../oscquery/remote.js');
      return remote && typeof remote.parseAddressSpace === 'function' ? null : 'dist/oscquery/remote.js not built yet';
    },
    seeds() {
      return SEEDS;
    },
    generate(rng) {
      return [Buffer.from(JSON.stringify(randomTree(rng, 0)), 'utf8')];
    },
    mutate(rng, input, other) {
      if (rng.chance(0.2)) {
        // Nesting far past the cap, in the middle of a real tree.
        const at = rng.int(input.length + 1);
        const n = 1 + rng.int(2000);
        return Buffer.concat([input.subarray(0, at), Buffer.from('{"CONTENTS":{"a":'.repeat(n)), input.subarray(at)]);
      }
      return mutate(rng, input, other, 1 << 16);
    },
    run(input) {
      const isRemote = (e) => e && e.name === 'RemoteError' && typeof e.code === 'string';
      let json;
      try {
        json = remote.parseJsonBody(input, 'application/json; charset=utf-8', 'fuzz', LIMITS);
      } catch (e) {
        if (isRemote(e)) return `err:${e.code}`;
        throw e;
      }
      let info = 'noinfo';
      try {
        JSON.stringify(remote.parseHostInfo(json));
        info = 'info';
      } catch (e) {
        if (!isRemote(e)) throw e;
      }
      let entries;
      try {
        entries = remote.parseAddressSpace(json, LIMITS);
      } catch (e) {
        if (isRemote(e)) return `err:${e.code}:${info}`;
        throw e;
      }
      if (entries.size > LIMITS.maxNodes) fail(`${entries.size} nodes, over the cap`);
      let methods = 0;
      for (const [address, e] of entries) {
        if (e.address !== address) fail(`entry ${safe(e.address)} filed under ${safe(address)}`);
        if (address.length > remote.MAX_ADDRESS) fail(`address of ${address.length} characters`);
        if (address !== '/' && !/^(\/[!-~]+)+$/.test(address)) fail(`address ${safe(address)} is not an OSC address`);
        if (/[ #*,?[\]{}]/.test(address)) fail(`address ${safe(address)} has pattern characters`);
        if (e.type !== undefined) {
          methods++;
          if (remote.typeTags(e.type) !== e.type || e.type.startsWith(',')) fail(`type ${safe(e.type)} kept`);
        }
        if (e.access !== undefined && ![0, 1, 2, 3].includes(e.access)) fail(`access ${safe(e.access)} kept`);
      }
      const out = JSON.stringify([...entries.values()]);
      if (out.length > input.length * 2 + entries.size * (remote.MAX_ADDRESS + 64))
        fail(`${input.length} bytes in, ${out.length} out`);
      return `ok:${entries.size > 10 ? 'n' : entries.size}:${methods > 3 ? 'n' : methods}:${info}`;
    },
  };
}

function allTargets() {
  return [
    decoderTarget('decode', {}),
    decoderTarget('decode-lenient', { lenient: true, maxDepth: 4, maxArgs: 32, maxPacketSize: 8192 }),
    streamTarget('slip', 'slip'),
    streamTarget('length-prefix', 'length-prefix'),
    streamTarget('auto-framing', 'auto'),
    patternTarget(),
    receivePathTarget(),
    messageTextTarget(),
    monitorTarget(),
    servicesQueryTarget(),
    // mDNS / DNS-SD (discovery): the packets anyone on the LAN can send to port 5353.
    require('./mdns-target').mdnsTarget(),
    // OSCQuery's HTTP requests, WebSocket commands and the walk over passing packets (fuzz/oscquery-targets.js).
    ...require('./oscquery-targets').oscqueryTargets({ mutateString, mutateOnce, fail }),
    addressSpaceTarget(),
  ];
}

module.exports = {
  allTargets,
  InvariantError,
  isOscError,
  chunksOf,
  decodePatternInput,
  encodePatternInput,
  mutateOnce,
};
