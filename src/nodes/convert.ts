// msg <-> OSC packet. Incoming: a decoded packet becomes msgs (topic, payload, osc). Outgoing: a msg becomes
// an encodable packet, by the rules of the osc-out help: fixed address or msg.topic, payload as arguments,
// msg.osc re-sent unchanged, an array of {topic, payload} as a bundle, "/path 1 2.5 foo" parsed.
import { IMMEDIATELY, encodePacket, isTimetag, plainValue } from '../osc/codec';
import { wallClockNow } from '../osc/clock';
import type {
  NumberPolicy,
  OscArg,
  OscBundle,
  OscBundleInput,
  OscMessage,
  OscMessageInput,
  OscPacket,
  OscPacketInput,
  PlainArg,
  Timetag,
} from '../osc/codec';
import { compilePattern, isPattern, validateAddress } from '../osc/pattern';
import { errorCode } from '../util';
import { Texts } from './texts';
import type { TextParams } from './texts';

/** msg.osc for a received message: the message with its type-tag string, and its bundle's timetag if any. */
export interface OscMsgOsc {
  address: string;
  types: string;
  args: OscArg[];
  timetag?: Timetag;
}

/** msg.osc for a whole received bundle: every message inside carries its type-tag string too. */
export interface OscMsgBundle {
  timetag: Timetag;
  packets: Array<OscMsgOsc | OscMsgBundle>;
}

/** The msg osc-in emits. */
export interface OscInMsg {
  topic?: string;
  payload: unknown;
  osc: OscMsgOsc | OscMsgBundle;
  ip: string;
  port: number;
  [key: string]: unknown;
}

/** The msg.topic of a whole bundle: not an address (it starts with '#', as a bundle does on the wire). */
export const BUNDLE_TOPIC = '#bundle';

function appendTags(args: OscArg[], s: string): string {
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    s += a.type;
    if (a.type === '[') s = appendTags(a.value, s) + ']';
  }
  return s;
}

/** The type-tag string of decoded arguments, e.g. ",if[ss]". */
export function typeTagString(args: OscArg[]): string {
  return appendTags(args, ',');
}

function payloadOf(args: OscArg[], alwaysArray: boolean): unknown {
  if (args.length === 1 && !alwaysArray) return plainValue(args[0]);
  const out = new Array<unknown>(args.length);
  for (let k = 0; k < args.length; k++) out[k] = plainValue(args[k]);
  return out;
}

export function messageToMsg(m: OscMessage, ip: string, port: number, alwaysArray: boolean, timetag?: Timetag): OscInMsg {
  const osc: OscMsgOsc = { address: m.address, types: typeTagString(m.args), args: m.args };
  // Each msg its own copy: the msgs of one bundle are sent one by one (not cloned), so a flow that edits one
  // msg's timetag must not change its siblings'.
  if (timetag !== undefined) osc.timetag = { seconds: timetag.seconds, fraction: timetag.fraction };
  return { topic: m.address, payload: payloadOf(m.args, alwaysArray), osc, ip, port };
}

/** A bundle split into its messages, in order, nested bundles flattened; each carries its innermost timetag. */
export function splitBundle(b: OscBundle, ip: string, port: number, alwaysArray: boolean, out: OscInMsg[] = []): OscInMsg[] {
  for (const p of b.packets) {
    if ('packets' in p) splitBundle(p, ip, port, alwaysArray, out);
    else out.push(messageToMsg(p, ip, port, alwaysArray, b.timetag));
  }
  return out;
}

function withTypes(b: OscBundle): OscMsgBundle {
  return {
    timetag: b.timetag,
    packets: b.packets.map((p) => ('packets' in p ? withTypes(p) : { address: p.address, types: typeTagString(p.args), args: p.args })),
  };
}

/** A whole bundle as one msg: msg.osc and msg.payload are the bundle, msg.topic is "#bundle". */
export function bundleToMsg(b: OscBundle, ip: string, port: number): OscInMsg {
  const osc = withTypes(b);
  return { topic: BUNDLE_TOPIC, payload: osc, osc, ip, port };
}

// ---------------------------------------------------------------------------------------------------------------
// Outgoing

// The runtime texts of osc-out, in English: the message of an OscOutputError (osc-codec's catalogue holds the same
// "convert" texts, so each node reports them in the runtime's language).
const english = new Texts('osc-out');

/**
 * Why a msg cannot be sent; `code` is an OscErrorCode or one of NO_ADDRESS, NO_DESTINATION, BAD_TIMETAG,
 * BAD_BUNDLE_ELEMENT. `key` and `params` name the text in the nodes' catalogues ("<type>.runtime.<key>"); the
 * message is that text in English.
 */
export class OscOutputError extends Error {
  readonly code: string;
  readonly key: string;
  readonly params: TextParams;
  constructor(code: string, key: string, params: TextParams = {}) {
    super(english.t(key, params));
    this.name = 'OscOutputError';
    this.code = code;
    this.key = key;
    this.params = params;
  }
}

export interface OutgoingOptions {
  /** The node's fixed address ('' = none). */
  address: string;
  numbers: NumberPolicy;
  /** The type tags a device declares for an address (osc out's "Types: from device"), used when msg.types is absent. */
  typesOf?: (address: string) => string | undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
}

/** An element of a payload array that is a packet ({topic, payload}, {address, args}, or a bundle), not an argument. */
function isPacketLike(v: unknown): v is Record<string, unknown> {
  return isObject(v) && (typeof v.topic === 'string' || typeof v.address === 'string' || Array.isArray(v.packets));
}

/** Does a plain value equal the plain value of a typed argument? (Has the user left msg.payload alone?) */
function plainEquals(arg: OscArg, v: unknown): boolean {
  switch (arg.type) {
    case 'i':
    case 'f':
    case 'd':
      return v === arg.value || (typeof v === 'number' && Number.isNaN(v) && Number.isNaN(arg.value));
    case 'h':
      if (typeof v === 'bigint') return v === arg.value;
      return typeof v === 'number' && Number.isSafeInteger(v) && BigInt(v) === arg.value;
    case 'b':
    case 'm':
      return v === arg.value || (v instanceof Uint8Array && Buffer.compare(v, arg.value) === 0);
    case 't':
      return isObject(v) && v.seconds === arg.value.seconds && v.fraction === arg.value.fraction;
    case 'r':
      return isObject(v) && v.r === arg.value.r && v.g === arg.value.g && v.b === arg.value.b && v.a === arg.value.a;
    case 'I':
      return v === true;
    case '[':
      return Array.isArray(v) && argsEqual(arg.value, v);
    default:
      return v === arg.value;
  }
}

function argsEqual(args: OscArg[], values: unknown[]): boolean {
  if (args.length !== values.length) return false;
  for (let k = 0; k < args.length; k++) if (!plainEquals(args[k], values[k])) return false;
  return true;
}

/** msg.payload still as osc-in made it from these arguments (one value, or the array of values). */
function payloadUnchanged(payload: unknown, args: OscArg[]): boolean {
  if (Array.isArray(payload) && argsEqual(args, payload)) return true;
  return args.length === 1 && plainEquals(args[0], payload);
}

function isOscMessageShape(v: unknown): v is { address: string; args: OscArg[] } {
  return isObject(v) && typeof v.address === 'string' && Array.isArray(v.args);
}

/**
 * A number for a timetag from here up is epoch milliseconds (1973-03-03 and later, so every real date); below it,
 * a number is milliseconds from now. No absolute time a flow would mean falls below, and "100" meaning 1970 plus
 * 100 ms (long past: "at once") helps nobody.
 */
export const RELATIVE_MS_BELOW = 1e11;

const RELATIVE_SECONDS = /^\+\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** `element`: the index of the bundle element whose timetag this is ("2.0"), or undefined for msg.timetag. */
function toTimetagInput(v: unknown, element: string | undefined, now: number): Timetag | Date | number {
  if (v === undefined || v === null) return IMMEDIATELY;
  if (typeof v === 'number' && Number.isFinite(v)) {
    if (v >= RELATIVE_MS_BELOW) return v;
    if (v >= 0) return now + v;
  }
  if (typeof v === 'string' && RELATIVE_SECONDS.test(v.trim())) return now + Number(v.trim().slice(1).trim()) * 1000;
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v;
  if (isTimetag(v)) return v;
  const value = JSON.stringify(v) ?? String(v);
  throw element === undefined
    ? new OscOutputError('BAD_TIMETAG', 'convert.timetag', { value })
    : new OscOutputError('BAD_TIMETAG', 'convert.element-timetag', { index: element, value });
}

function argsOf(payload: unknown): PlainArg[] {
  if (payload === undefined) return [];
  if (Array.isArray(payload)) return payload as PlainArg[];
  return [payload as PlainArg];
}

// OSC 1.0 sends an "OSC Address Pattern": receivers (liblo, sclang, osc-route) expand /synth/*/gate to every
// matching method, so a pattern is as sendable as a literal address. Literals stay on validateAddress's single
// scan, with no compile and no cache lookup; patterns go through the cached compiler, whose message says which
// operator is broken. Both refusals stay BAD_ADDRESS, the code flows already catch.
function checkAddress(address: string): void {
  try {
    if (isPattern(address)) compilePattern(address);
    else validateAddress(address);
  } catch (e) {
    throw new OscOutputError('BAD_ADDRESS', 'convert.address', { detail: (e as Error).message });
  }
}

/** Bundles nested deeper than this are refused here, before they could exhaust the stack. */
const MAX_NESTING = 32;

/**
 * One element of a bundle. Inside a bundle, an array is a nested bundle with its parent's timetag, and a
 * {timetag, packets} object without a timetag takes its parent's too (OSC: a nested bundle is not due earlier).
 */
function elementToPacket(el: unknown, index: string, parent: Timetag | Date | number, now: number, depth = 1): OscPacketInput {
  if (depth > MAX_NESTING) throw new OscOutputError('BAD_BUNDLE_ELEMENT', 'convert.too-deep', { max: MAX_NESTING, index });
  if (Array.isArray(el)) {
    return { timetag: parent, packets: el.map((p, k) => elementToPacket(p, `${index}.${k}`, parent, now, depth + 1)) };
  }
  if (!isPacketLike(el)) {
    throw new OscOutputError('BAD_BUNDLE_ELEMENT', 'convert.element', { index });
  }
  if (Array.isArray(el.packets)) {
    const timetag = el.timetag === undefined ? parent : toTimetagInput(el.timetag, index, now);
    return {
      timetag,
      packets: el.packets.map((p, k) => elementToPacket(p, `${index}.${k}`, timetag, now, depth + 1)),
    };
  }
  const address = typeof el.address === 'string' ? el.address : (el.topic as string);
  checkAddress(address);
  const m: OscMessageInput = {
    address,
    args: typeof el.address === 'string' ? argsOf(el.args) : argsOf(el.payload),
  };
  if (typeof el.types === 'string') m.types = el.types;
  return m;
}

function bundleOf(elements: unknown[], timetag: unknown): OscBundleInput {
  // One "now" for the whole msg: relative times in nested bundles keep their spacing. The scheduler's clock, so a
  // "+0.25" is 250 ms from now to the fraction of a millisecond, as a receiver holding bundles will honour it.
  const now = wallClockNow();
  const tt = toTimetagInput(timetag, undefined, now);
  const packets = new Array<OscPacketInput>(elements.length);
  for (let k = 0; k < elements.length; k++) packets[k] = elementToPacket(elements[k], String(k), tt, now);
  return { timetag: tt, packets };
}

// The last address that passed validation: flows mostly send to a handful of addresses, so most messages skip
// the per-character check.
let lastValidAddress = '';

/**
 * The packet to encode for a msg (see the osc-out help for the rules). Throws OscOutputError for a msg that
 * cannot be sent; values that do not fit their tags are refused later by encodePacket (OscError).
 */
export function msgToPacket(msg: Record<string, unknown>, opts: OutgoingOptions): OscPacketInput | OscPacket {
  const osc = msg.osc;
  const payload = msg.payload;
  const topic = typeof msg.topic === 'string' && msg.topic !== '' ? msg.topic : undefined;

  if (isObject(osc)) {
    if (Array.isArray(osc.packets) && (payload === undefined || payload === osc)) {
      return osc as unknown as OscBundle;
    }
    if (isOscMessageShape(osc) && msg.types === undefined && payloadUnchanged(payload, osc.args)) {
      // The typed arguments as received: an 'f' stays an 'f' even if the number policy would say 'i'. A new
      // msg.topic (forwarding to another address) keeps them too: only a changed payload loses them.
      const address = opts.address !== '' ? opts.address : (topic ?? osc.address);
      if (address !== lastValidAddress) {
        checkAddress(address);
        lastValidAddress = address;
      }
      return { address, args: osc.args };
    }
  }

  if (Array.isArray(payload) && payload.length > 0 && isPacketLike(payload[0])) {
    return bundleOf(payload, msg.timetag);
  }
  // A bundle object in msg.payload, as node-red-contrib-osc users send it.
  if (isObject(payload) && Array.isArray(payload.packets)) {
    if (payload.timeTag !== undefined && payload.timetag === undefined) {
      // node-red-contrib-osc's spelling, where a number below 1e7 means seconds: sending it "immediately"
      // instead would silently lose the time.
      throw new OscOutputError('BAD_TIMETAG', 'convert.contrib-timetag');
    }
    return bundleOf(payload.packets, payload.timetag !== undefined ? payload.timetag : msg.timetag);
  }

  let address = opts.address !== '' ? opts.address : topic;
  if (address === undefined && isOscMessageShape(osc)) address = osc.address;
  if (address === undefined) {
    if (typeof payload === 'string' && payload.trimStart().startsWith('/')) {
      return parseMessageString(payload, opts.numbers);
    }
    throw new OscOutputError('NO_ADDRESS', 'convert.no-address');
  }
  if (address !== lastValidAddress) {
    checkAddress(address);
    lastValidAddress = address;
  }
  const args = argsOf(payload);
  const m: OscMessageInput = { address, args };
  if (msg.types !== undefined) {
    if (typeof msg.types !== 'string') {
      throw new OscOutputError('BAD_TYPE_TAGS', 'convert.types', { type: typeof msg.types });
    }
    m.types = msg.types;
  } else if (opts.typesOf !== undefined) {
    const declared = declaredTypes(opts.typesOf(address), args);
    if (declared !== undefined) m.types = declared;
  }
  return m;
}

/**
 * A device's declared type tags (OSCQuery TYPE, no comma) for these plain arguments, or undefined to type them as
 * usual: when the device declares nothing, when an argument is typed ({type, value}: the flow chose), or when the
 * count does not fit the tags (the encoder's rule: one argument per tag, or per data-carrying tag). T and F are
 * interchangeable to OSCQuery, so a declared T or F follows the boolean given.
 */
function declaredTypes(tags: string | undefined, args: unknown[]): string | undefined {
  if (tags === undefined) return undefined;
  let total = 0;
  let withData = 0;
  let nest = 0;
  for (let k = 0; k < tags.length; k++) {
    const c = tags[k];
    if (c === ']') nest--;
    else if (nest > 0) {
      if (c === '[') nest++;
    } else {
      total++;
      if (c === '[') {
        nest++;
        withData++;
      } else if (c !== 'T' && c !== 'F' && c !== 'N' && c !== 'I') withData++;
    }
  }
  if (args.length !== total && args.length !== withData) return undefined;
  for (const a of args) if (isObject(a) && typeof a.type === 'string' && 'value' in a) return undefined;
  if (args.length !== total || (!tags.includes('T') && !tags.includes('F'))) return tags;
  let out = '';
  let a = 0;
  nest = 0;
  for (let k = 0; k < tags.length; k++) {
    let c = tags[k];
    if (nest === 0) {
      if ((c === 'T' || c === 'F') && typeof args[a] === 'boolean') c = args[a] ? 'T' : 'F';
      a++;
    }
    if (c === '[') nest++;
    else if (c === ']') nest--;
    out += c;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// "/path 1 2.5 foo"

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.\d*|\.\d+|\d+(?:\.\d*)?[eE][+-]?\d+|\d*\.\d+[eE][+-]?\d+)$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function numberArg(text: string, integral: boolean, numbers: NumberPolicy): OscArg {
  if (numbers === 'double') return { type: 'd', value: Number(text) };
  if (numbers === 'float' || !integral) return { type: 'f', value: Number(text) };
  const n = Number(text);
  if (n >= INT32_MIN && n <= INT32_MAX) return { type: 'i', value: n };
  // Too big for int32: int64 keeps every digit, which float32 would not.
  const big = BigInt(text);
  if (big >= -(BigInt(1) << BigInt(63)) && big < BigInt(1) << BigInt(63)) return { type: 'h', value: big };
  return { type: 'd', value: n };
}

function tokenArg(token: string, numbers: NumberPolicy): OscArg {
  if (INTEGER.test(token)) return numberArg(token, true, numbers);
  if (DECIMAL.test(token)) return numberArg(token, false, numbers);
  if (token === 'true') return { type: 'T', value: true };
  if (token === 'false') return { type: 'F', value: false };
  return { type: 's', value: token };
}

/**
 * Reads a message typed as text: the address, then arguments separated by spaces. Integers become 'i'
 * ('h' beyond int32), decimals 'f', true/false 'T'/'F', "double" or 'single' quoted text (with \" \' \\
 * escapes) a string even when it looks like a number, anything else a string. The number policy 'float'
 * makes every number 'f', 'double' every number 'd'.
 */
export function parseMessageString(text: string, numbers: NumberPolicy = 'int'): OscMessage {
  const args: OscArg[] = [];
  let address: string | undefined;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (address !== undefined && (c === '"' || c === "'")) {
      let s = '';
      let j = i + 1;
      for (; j < n && text[j] !== c; j++) {
        if (text[j] === '\\' && j + 1 < n) j++;
        s += text[j];
      }
      if (j >= n) throw new OscOutputError('BAD_ARGUMENT', 'convert.unterminated', { quote: c, text: JSON.stringify(text), pos: i });
      args.push({ type: 's', value: s });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < n && text[j] !== ' ' && text[j] !== '\t' && text[j] !== '\n' && text[j] !== '\r') j++;
    const token = text.slice(i, j);
    if (address === undefined) address = token;
    else args.push(tokenArg(token, numbers));
    i = j;
  }
  if (address === undefined) throw new OscOutputError('NO_ADDRESS', 'convert.empty-text');
  checkAddress(address);
  return { address, args };
}

/**
 * The bytes for a msg (msgToPacket, then encodePacket): what osc-out sends and osc-codec encodes. Every refusal is
 * an OscOutputError, with the codec's code when the codec refused a value.
 */
export function encodeMsg(msg: Record<string, unknown>, opts: OutgoingOptions): Buffer {
  return encodeOutgoing(msgToPacket(msg, opts), opts);
}

/** The bytes for a packet msgToPacket made (osc-request looks at it first); a refusal is an OscOutputError. */
export function encodeOutgoing(packet: OscPacketInput | OscPacket, opts: OutgoingOptions): Buffer {
  try {
    return encodePacket(packet, opts);
  } catch (e) {
    if (e instanceof OscOutputError) throw e;
    const argIndex = (e as { argIndex?: unknown }).argIndex;
    const detail = (e as Error).message;
    throw typeof argIndex === 'number'
      ? new OscOutputError(errorCode(e, 'ERROR'), 'convert.encode-argument', { index: argIndex, detail })
      : new OscOutputError(errorCode(e, 'ERROR'), 'convert.encode', { detail });
  }
}
