/**
 * DNS messages as multicast DNS uses them (RFC 1035 wire format, RFC 6762 additions): a decoder that trusts
 * nothing it reads, and an encoder for what our responder sends. Only the record types DNS-SD needs are
 * interpreted (A, AAAA, PTR, SRV, TXT); every other type is kept as its raw bytes.
 *
 * Whoever is on the LAN can send us anything, so the decoder's work is bounded by the packet's own size: names
 * follow compression pointers only backwards (no loop can form) and stop at 255 bytes, counts are never used to
 * allocate, and every read is checked against the end of the packet or of the record it belongs to.
 */

export type MdnsErrorCode =
  | 'MDNS_TRUNCATED' // a field runs past the end of the packet or of its record
  | 'MDNS_BAD_NAME' // a label type other than 0b00 (length) and 0b11 (pointer)
  | 'MDNS_BAD_POINTER' // a compression pointer that does not point backwards
  | 'MDNS_NAME_TOO_LONG' // a name over 255 bytes on the wire
  | 'MDNS_BAD_RDATA' // record data that does not fit its type (A not 4 bytes, SRV too short, ...)
  | 'MDNS_TOO_LARGE' // a packet over the size multicast DNS allows
  | 'MDNS_TRAILING_BYTES'
  | 'MDNS_SOCKET' // the shared responder's socket failed (bind, membership)
  | 'MDNS_NAME_CONFLICT'; // an advertisement could not find a free name

export class MdnsError extends Error {
  readonly code: MdnsErrorCode;
  /** Byte offset in the packet where decoding failed, or -1. */
  readonly offset: number;
  /** Who sent the packet, when it came from the network. */
  sender?: { address: string; port: number };

  constructor(code: MdnsErrorCode, message: string, offset = -1) {
    super(message);
    this.name = 'MdnsError';
    this.code = code;
    this.offset = offset;
  }
}

export function isMdnsError(e: unknown): e is MdnsError {
  return e instanceof MdnsError;
}

export const TYPE_A = 1;
export const TYPE_PTR = 12;
export const TYPE_TXT = 16;
export const TYPE_AAAA = 28;
export const TYPE_SRV = 33;
export const TYPE_NSEC = 47;
export const TYPE_ANY = 255;
export const CLASS_IN = 1;

/** RFC 6762 section 17: a multicast DNS message may be up to 9000 bytes. */
export const MAX_PACKET = 9000;
const MAX_NAME = 255;

/** A domain name as its labels, e.g. ['Studio', '_osc', '_udp', 'local']: labels may contain dots. */
export type Name = string[];

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: Name;
}

export type RecordData = string | Name | SrvData | Uint8Array[] | Uint8Array;

export interface Question {
  name: Name;
  type: number;
  class: number;
  /** The top bit of the class: the querier prefers a unicast answer. */
  unicast: boolean;
}

export interface ResourceRecord {
  name: Name;
  type: number;
  class: number;
  /** The top bit of the class: the cache-flush bit of RFC 6762 section 10.2. */
  flush: boolean;
  ttl: number;
  /**
   * A: dotted quad; AAAA: the address as Node prints it; PTR: a name; SRV: SrvData; TXT: its strings as bytes;
   * any other type: the raw record data.
   */
  data: RecordData;
}

export interface Message {
  id: number;
  flags: number;
  response: boolean;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}

// ---------------------------------------------------------------- names

/** Case-insensitive (ASCII only, RFC 6762 section 16) key of a name, unambiguous even with dots in labels. */
export function nameKey(name: Name): string {
  let s = '';
  for (let i = 0; i < name.length; i++) {
    if (i) s += '.';
    const l = asciiLower(name[i]);
    s += l.includes('.') || l.includes('\\') ? l.replace(/[\\.]/g, '\\$&') : l;
  }
  return s;
}

const UPPER = /[A-Z]/;

function asciiLower(s: string): string {
  return UPPER.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

export function sameName(a: Name, b: Name): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (asciiLower(a[i]) !== asciiLower(b[i])) return false;
  return true;
}

/** A name for people: labels joined with dots, dots inside a label escaped. */
export function nameToString(name: Name): string {
  return name.map((l) => l.replace(/[\\.]/g, '\\$&')).join('.');
}

// ---------------------------------------------------------------- decoding

class Reader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(offset: number, n: number, end: number, what: string): void {
    if (offset + n > end) throw new MdnsError('MDNS_TRUNCATED', `${what} runs past the end at byte ${offset}`, offset);
  }
  u16(offset: number): number {
    return this.view.getUint16(offset);
  }
  u32(offset: number): number {
    return this.view.getUint32(offset);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Reads a name at `offset`; returns it and the offset after it (after the first pointer if it jumped). Names
 * read in place must end before `end`; a pointer may go anywhere earlier in the packet. Each pointer must point
 * before the label sequence that contains it, so the walk strictly moves backwards: no loop, at most one visit of
 * each byte.
 */
function readName(r: Reader, offset: number, end: number): [Name, number] {
  const labels: string[] = [];
  let wire = 0; // bytes of the name in uncompressed form, the root label included
  let pos = offset;
  let limit = end; // where the current run of labels must end
  let floor = offset; // a pointer must point before this
  let next = -1;
  for (;;) {
    r.need(pos, 1, limit, 'name');
    const len = r.buf[pos];
    if (len === 0) {
      wire += 1;
      if (wire > MAX_NAME) throw new MdnsError('MDNS_NAME_TOO_LONG', `name over ${MAX_NAME} bytes`, pos);
      pos += 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      r.need(pos, 2, limit, 'name pointer');
      const target = r.u16(pos) & 0x3fff;
      if (target >= floor)
        throw new MdnsError('MDNS_BAD_POINTER', `compression pointer to ${target} at byte ${pos}`, pos);
      if (next < 0) next = pos + 2;
      floor = target;
      pos = target;
      limit = r.buf.length;
      continue;
    }
    if (kind !== 0) throw new MdnsError('MDNS_BAD_NAME', `label type 0x${kind.toString(16)} at byte ${pos}`, pos);
    wire += len + 1;
    if (wire + 1 > MAX_NAME) throw new MdnsError('MDNS_NAME_TOO_LONG', `name over ${MAX_NAME} bytes`, pos);
    r.need(pos + 1, len, limit, 'label');
    labels.push(utf8.decode(r.buf.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  return [labels, next < 0 ? pos : next];
}

function readRecord(r: Reader, offset: number): [ResourceRecord, number] {
  const [name, at] = readName(r, offset, r.buf.length);
  r.need(at, 10, r.buf.length, 'record header');
  const type = r.u16(at);
  const klass = r.u16(at + 2);
  const ttl = r.u32(at + 4);
  const rdlength = r.u16(at + 8);
  const start = at + 10;
  const end = start + rdlength;
  r.need(start, rdlength, r.buf.length, 'record data');
  let data: RecordData;
  switch (type) {
    case TYPE_A:
      if (rdlength !== 4) throw new MdnsError('MDNS_BAD_RDATA', `A record of ${rdlength} bytes`, start);
      data = `${r.buf[start]}.${r.buf[start + 1]}.${r.buf[start + 2]}.${r.buf[start + 3]}`;
      break;
    case TYPE_AAAA: {
      if (rdlength !== 16) throw new MdnsError('MDNS_BAD_RDATA', `AAAA record of ${rdlength} bytes`, start);
      data = ipv6ToString(r, start);
      break;
    }
    case TYPE_PTR: {
      const [target, after] = readName(r, start, end);
      if (after !== end) throw new MdnsError('MDNS_BAD_RDATA', 'PTR record with bytes after its name', after);
      data = target;
      break;
    }
    case TYPE_SRV: {
      if (rdlength < 7) throw new MdnsError('MDNS_BAD_RDATA', `SRV record of ${rdlength} bytes`, start);
      const [target, after] = readName(r, start + 6, end);
      if (after !== end) throw new MdnsError('MDNS_BAD_RDATA', 'SRV record with bytes after its target', after);
      data = { priority: r.u16(start), weight: r.u16(start + 2), port: r.u16(start + 4), target };
      break;
    }
    case TYPE_TXT: {
      const strings: Uint8Array[] = [];
      let p = start;
      while (p < end) {
        const len = r.buf[p];
        r.need(p + 1, len, end, 'TXT string');
        strings.push(r.buf.subarray(p + 1, p + 1 + len));
        p += 1 + len;
      }
      data = strings;
      break;
    }
    default:
      data = r.buf.subarray(start, end);
  }
  return [{ name, type, class: klass & 0x7fff, flush: (klass & 0x8000) !== 0, ttl, data }, end];
}

function ipv6ToString(r: Reader, start: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(r.u16(start + 2 * i).toString(16));
  // The longest run of two or more zero groups becomes '::' (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Decodes one DNS message; throws an MdnsError (and nothing else) for anything malformed. */
export function decodeMessage(buf: Uint8Array): Message {
  if (buf.length > MAX_PACKET) throw new MdnsError('MDNS_TOO_LARGE', `packet of ${buf.length} bytes`, MAX_PACKET);
  const r = new Reader(buf);
  r.need(0, 12, buf.length, 'header');
  const flags = r.u16(2);
  const counts = [r.u16(4), r.u16(6), r.u16(8), r.u16(10)];
  const m: Message = {
    id: r.u16(0),
    flags,
    response: (flags & 0x8000) !== 0,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
  let at = 12;
  // A count larger than the packet can hold ends in MDNS_TRUNCATED after at most packet-size reads: the loop
  // pushes only what it has read.
  for (let i = 0; i < counts[0]; i++) {
    const [name, after] = readName(r, at, buf.length);
    r.need(after, 4, buf.length, 'question');
    const klass = r.u16(after + 2);
    m.questions.push({ name, type: r.u16(after), class: klass & 0x7fff, unicast: (klass & 0x8000) !== 0 });
    at = after + 4;
  }
  const sections = [m.answers, m.authorities, m.additionals];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]; i++) {
      const [rr, after] = readRecord(r, at);
      sections[s].push(rr);
      at = after;
    }
  }
  if (at !== buf.length)
    throw new MdnsError('MDNS_TRAILING_BYTES', `${buf.length - at} bytes after the last record`, at);
  return m;
}

// ---------------------------------------------------------------- encoding

const utf8e = new TextEncoder();

class Writer {
  buf = new Uint8Array(512);
  length = 0;
  /** Where each name suffix was written, for compression pointers. */
  private readonly suffixes = new Map<string, number>();

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }
  u16(v: number): void {
    this.room(2);
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
  }
  u32(v: number): void {
    this.u16((v >>> 16) & 0xffff);
    this.u16(v & 0xffff);
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  setU16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }
  name(name: Name): void {
    let wire = 1;
    for (let i = 0; i < name.length; i++) {
      // Exact, not case-folded: a pointer must give back the very labels written.
      const key = JSON.stringify(name.slice(i));
      const at = this.suffixes.get(key);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      const label = utf8e.encode(name[i]);
      if (label.length === 0 || label.length > 63)
        throw new MdnsError('MDNS_BAD_NAME', `label of ${label.length} bytes in ${nameToString(name)}`);
      wire += label.length + 1;
      if (wire > MAX_NAME)
        throw new MdnsError('MDNS_NAME_TOO_LONG', `name over ${MAX_NAME} bytes: ${nameToString(name)}`);
      if (this.length < 0x3fff) this.suffixes.set(key, this.length);
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }
}

function writeIpv4(w: Writer, address: string): void {
  const parts = address.split('.');
  if (parts.length !== 4) throw new MdnsError('MDNS_BAD_RDATA', `not an IPv4 address: ${address}`);
  for (const p of parts) w.u8(Number(p) & 0xff);
}

function writeIpv6(w: Writer, address: string): void {
  const zone = address.indexOf('%');
  const a = zone >= 0 ? address.slice(0, zone) : address;
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new MdnsError('MDNS_BAD_RDATA', `not an IPv6 address: ${address}`);
  for (const g of groups) w.u16(parseInt(g, 16) || 0);
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name);
  w.u16(rr.type);
  w.u16((rr.class & 0x7fff) | (rr.flush ? 0x8000 : 0));
  w.u32(rr.ttl >>> 0);
  const lenAt = w.length;
  w.u16(0);
  const start = w.length;
  switch (rr.type) {
    case TYPE_A:
      writeIpv4(w, rr.data as string);
      break;
    case TYPE_AAAA:
      writeIpv6(w, rr.data as string);
      break;
    case TYPE_PTR:
      w.name(rr.data as Name);
      break;
    case TYPE_SRV: {
      const s = rr.data as SrvData;
      w.u16(s.priority);
      w.u16(s.weight);
      w.u16(s.port);
      w.name(s.target);
      break;
    }
    case TYPE_TXT: {
      const strings = rr.data as Uint8Array[];
      // RFC 6763 section 6.1: a TXT record is never empty; no data is one empty string.
      if (strings.length === 0) w.u8(0);
      for (const s of strings) {
        if (s.length > 255) throw new MdnsError('MDNS_BAD_RDATA', `TXT string of ${s.length} bytes`);
        w.u8(s.length);
        w.bytes(s);
      }
      break;
    }
    default:
      w.bytes(rr.data as Uint8Array);
  }
  w.setU16(lenAt, w.length - start);
}

export function encodeMessage(m: Partial<Message> & { response: boolean }): Buffer {
  const w = new Writer();
  const questions = m.questions ?? [];
  const answers = m.answers ?? [];
  const authorities = m.authorities ?? [];
  const additionals = m.additionals ?? [];
  w.u16(m.id ?? 0);
  w.u16(m.flags ?? (m.response ? 0x8400 : 0)); // a response is authoritative (RFC 6762 section 18.4)
  w.u16(questions.length);
  w.u16(answers.length);
  w.u16(authorities.length);
  w.u16(additionals.length);
  for (const q of questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16((q.class & 0x7fff) | (q.unicast ? 0x8000 : 0));
  }
  for (const rr of answers) writeRecord(w, rr);
  for (const rr of authorities) writeRecord(w, rr);
  for (const rr of additionals) writeRecord(w, rr);
  return Buffer.from(w.buf.buffer, 0, w.length);
}

// ---------------------------------------------------------------- TXT key=value

/** TXT strings from key=value pairs (RFC 6763 section 6): keys are printable ASCII without '='. */
export function encodeTxt(txt: Record<string, string> | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const [k, v] of Object.entries(txt ?? {})) {
    if (!k || k.includes('=') || !/^[\x20-\x7e]+$/.test(k))
      throw new MdnsError('MDNS_BAD_RDATA', `TXT key ${JSON.stringify(k)} is not printable ASCII without '='`);
    const s = utf8e.encode(`${k}=${v}`);
    if (s.length > 255) throw new MdnsError('MDNS_BAD_RDATA', `TXT entry ${JSON.stringify(k)} over 255 bytes`);
    out.push(s);
  }
  return out;
}

/** key=value pairs of TXT strings; a key without '=' is a boolean attribute (value ''); the first of a key wins. */
export function decodeTxt(strings: Uint8Array[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const seen = new Set<string>();
  for (const s of strings) {
    if (s.length === 0) continue;
    const text = utf8.decode(s);
    const eq = text.indexOf('=');
    const key = eq < 0 ? text : text.slice(0, eq);
    const lower = key.toLowerCase();
    if (!key || seen.has(lower)) continue;
    seen.add(lower);
    out[key] = eq < 0 ? '' : text.slice(eq + 1);
  }
  return { ...out };
}
