/**
 * Who may send: an allow-list of sender addresses and CIDR ranges, IPv4 and IPv6.
 *
 * OSC has no authentication, so the sender's source address is the only thing a receiver can check.
 * The list is compiled once at deploy; `allows()` then runs for every datagram, so it parses the sender's
 * address in place (no split, no regex, no temporary arrays) and compares integers.
 */

/** Thrown by parseAllowList for an entry that is not an address or a CIDR range. */
export class AllowListError extends Error {
  /** The entry as written. */
  readonly entry: string;
  /** Position of the entry in the list (0-based, counting entries, not characters). */
  readonly index: number;

  constructor(entry: string, index: number, reason: string) {
    super(`allow-list entry ${index + 1} "${entry}": ${reason}`);
    this.name = 'AllowListError';
    this.entry = entry;
    this.index = index;
  }
}

export interface AllowList {
  /** True when the list has no entries: everyone may send. */
  readonly empty: boolean;
  /** The entries in canonical form ("10.0.0.0/8", "fe80::/10"), for status and logs. */
  readonly entries: readonly string[];
  /**
   * Whether a datagram from `address` (as Node reports it in rinfo.address) may be delivered.
   * An IPv4-mapped IPv6 address (::ffff:1.2.3.4, what a dual-stack udp6 socket reports for IPv4 senders)
   * is checked against the IPv4 rules. Anything unparsable is refused.
   */
  allows(address: string): boolean;
}

interface V6Rule {
  net: Uint16Array; // 8 groups, host bits already cleared
  prefix: number;
}

// Scratch space for parsing the sender's IPv6 address. Single-threaded JS and a synchronous parse make
// sharing one buffer safe, and it keeps allows() free of per-packet allocation.
const scratch6 = new Uint16Array(8);

/**
 * Parse an allow-list. Entries are separated by commas, spaces or newlines; `#` starts a comment that runs
 * to the end of the line (so a list typed in the editor can say which desk is which).
 * Accepted entries: 192.168.1.20, 10.0.0.0/8, ::1, fe80::/10, [2001:db8::1], ::ffff:10.0.0.0/104.
 * Host bits set under the prefix (10.1.2.3/8) are cleared, as most firewalls do.
 * Throws AllowListError naming the first bad entry.
 */
export function parseAllowList(text: string | readonly string[] | undefined | null): AllowList {
  const raw = typeof text === 'string' || text == null ? splitEntries(text ?? '') : flattenEntries(text);

  const v4net: number[] = [];
  const v4mask: number[] = [];
  const v6: V6Rule[] = [];
  const canonical: string[] = [];

  raw.forEach((entry, index) => {
    let body = entry;
    let prefix = -1;
    const slash = body.indexOf('/');
    if (slash >= 0) {
      const p = body.slice(slash + 1);
      if (!/^\d{1,3}$/.test(p)) throw new AllowListError(entry, index, 'the prefix length after "/" must be a number');
      prefix = Number(p);
      body = body.slice(0, slash);
    }
    if (body.startsWith('[') && body.endsWith(']')) body = body.slice(1, -1);
    if (body === '') throw new AllowListError(entry, index, 'no address before "/"');

    if (body.includes(':')) {
      if (body.includes('%'))
        throw new AllowListError(entry, index, 'zone ids (%eth0) are not supported; leave the zone out');
      const groups = new Uint16Array(8);
      if (parseV6(body, groups) < 0) throw new AllowListError(entry, index, 'not a valid IPv6 address');
      if (prefix > 128) throw new AllowListError(entry, index, 'an IPv6 prefix length is at most 128');
      if (prefix < 0) prefix = 128;
      // A rule in IPv4-mapped form is an IPv4 rule: senders on IPv4 reach a udp6 socket in that form,
      // and reach a udp4 socket as plain IPv4; one rule should cover both.
      if (prefix >= 96 && isV4Mapped(groups)) {
        const p4 = prefix - 96;
        const mask = maskOf(p4);
        const net = ((((groups[6] as number) << 16) | (groups[7] as number)) & mask) >>> 0;
        v4net.push(net);
        v4mask.push(mask);
        canonical.push(`${formatV4(net)}/${p4}`);
        return;
      }
      clearHostBits(groups, prefix);
      v6.push({ net: groups, prefix });
      canonical.push(`${formatV6(groups)}/${prefix}`);
      return;
    }

    if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(body)) {
      const why = /^[\d.]+$/.test(body)
        ? 'an IPv4 address has four numbers separated by dots'
        : 'not an IP address (host names are not accepted: a name can change what it points to)';
      throw new AllowListError(entry, index, why);
    }
    const parts = body.split('.');
    let ip = 0;
    for (const part of parts) {
      // Leading zeros read as octal in some tools (010 = 8): refuse the ambiguity instead of guessing.
      if (part.length > 1 && part[0] === '0')
        throw new AllowListError(entry, index, 'leading zeros are ambiguous (octal?)');
      const n = Number(part);
      if (n > 255) throw new AllowListError(entry, index, 'each IPv4 number is 0-255');
      ip = ((ip << 8) | n) >>> 0;
    }
    if (prefix > 32) throw new AllowListError(entry, index, 'an IPv4 prefix length is at most 32');
    if (prefix < 0) prefix = 32;
    const mask = maskOf(prefix);
    const net = (ip & mask) >>> 0;
    v4net.push(net);
    v4mask.push(mask);
    canonical.push(`${formatV4(net)}/${prefix}`);
  });

  const nets = Uint32Array.from(v4net);
  const masks = Uint32Array.from(v4mask);
  const n4 = nets.length;
  const n6 = v6.length;
  const empty = raw.length === 0;

  return {
    empty,
    entries: Object.freeze(canonical),
    allows(address: string): boolean {
      if (empty) return true;
      if (typeof address !== 'string') return false;
      let ip = parseV4At(address, 0);
      if (ip < 0) {
        if (parseV6(address, scratch6) < 0) return false;
        if (isV4Mapped(scratch6)) {
          ip = (((scratch6[6] as number) << 16) | (scratch6[7] as number)) >>> 0;
        } else {
          for (let r = 0; r < n6; r++) if (matchV6(scratch6, v6[r] as V6Rule)) return true;
          return false;
        }
      }
      for (let r = 0; r < n4; r++) if ((ip & (masks[r] as number)) >>> 0 === nets[r]) return true;
      return false;
    },
  };
}

function splitEntries(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    const hash = line.indexOf('#');
    const content = hash >= 0 ? line.slice(0, hash) : line;
    for (const e of content.split(/[\s,;]+/)) if (e !== '') out.push(e);
  }
  return out;
}

function flattenEntries(list: readonly string[]): string[] {
  const out: string[] = [];
  for (const item of list) out.push(...splitEntries(String(item)));
  return out;
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function isV4Mapped(g: Uint16Array): boolean {
  return g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
}

function clearHostBits(g: Uint16Array, prefix: number): void {
  for (let i = 0; i < 8; i++) {
    const bits = prefix - i * 16;
    if (bits >= 16) continue;
    g[i] = bits <= 0 ? 0 : (g[i] as number) & ((0xffff << (16 - bits)) & 0xffff);
  }
}

function matchV6(addr: Uint16Array, rule: V6Rule): boolean {
  const net = rule.net;
  let bits = rule.prefix;
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const a = addr[i] as number;
    if (bits >= 16) {
      if (a !== net[i]) return false;
    } else if ((a & ((0xffff << (16 - bits)) & 0xffff)) !== net[i]) {
      return false;
    }
  }
  return true;
}

/**
 * Parse a dotted-quad IPv4 address occupying s[start..end) exactly. Returns the address as an unsigned
 * 32-bit number, or -1. Lenient about leading zeros: rinfo.address never has them, and refusing costs a check per packet.
 */
function parseV4At(s: string, start: number, end = s.length): number {
  let ip = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      ip = ip * 256 + part;
      part = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return ip * 256 + part;
}

/**
 * Parse an IPv6 address (RFC 4291 text forms: "::" compression, an embedded IPv4 tail, a "%zone" suffix
 * which is ignored) into 8 groups, in place. Returns 0, or -1 when `s` is not an IPv6 address.
 */
function parseV6(s: string, out: Uint16Array): number {
  let end = s.length;
  const pct = s.indexOf('%');
  if (pct >= 0) end = pct;
  if (end < 2) return -1;

  let n = 0; // groups written
  let gap = -1; // group index where "::" stands
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return -1;
    gap = 0;
    i = 2;
    if (i === end) {
      out.fill(0);
      return 0;
    }
  }
  while (i < end) {
    if (n >= 8) return -1;
    // Find this group's end, and whether it is a dotted IPv4 tail.
    let j = i;
    let dotted = false;
    while (j < end) {
      const c = s.charCodeAt(j);
      if (c === 58) break;
      if (c === 46) dotted = true;
      j++;
    }
    if (dotted) {
      if (j !== end || n > 6) return -1;
      const v4 = parseV4At(s, i, end);
      if (v4 < 0) return -1;
      out[n++] = Math.floor(v4 / 65536);
      out[n++] = v4 & 0xffff;
      break;
    }
    const len = j - i;
    if (len === 0 || len > 4) return -1;
    let v = 0;
    for (let k = i; k < j; k++) {
      const h = hexValue(s.charCodeAt(k));
      if (h < 0) return -1;
      v = (v << 4) | h;
    }
    out[n++] = v;
    if (j === end) break;
    // j is at ':'
    if (j + 1 < end && s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return -1;
      gap = n;
      i = j + 2;
      if (i === end) break;
    } else {
      i = j + 1;
      if (i === end) return -1; // trailing single ':'
    }
  }
  if (gap < 0) return n === 8 ? 0 : -1;
  if (n >= 8) return -1; // "::" must stand for at least one group
  // Slide the groups after the gap to the end and zero the gap.
  const tail = n - gap;
  for (let k = 0; k < tail; k++) out[7 - k] = out[n - 1 - k] as number;
  for (let k = gap; k < 8 - tail; k++) out[k] = 0;
  return 0;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function formatV4(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** RFC 5952 form: lower case, longest run of two or more zero groups compressed. */
function formatV6(g: Uint16Array): string {
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = Array.from(g, (v) => v.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}
