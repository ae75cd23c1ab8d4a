// The address space an osc-query node publishes (OSCQuery proposal, third revision): the methods the user
// declared, arranged as the tree of containers their addresses imply, their JSON, the last value seen on each,
// and what changed between two deploys. Nothing here knows Node-RED or the network.
import { compilePattern } from '../osc/pattern';
import type { OscArg } from '../osc/types';

/** ACCESS: 0 no value, 1 read only, 2 write only, 3 both. */
export type Access = 0 | 1 | 2 | 3;

/** One row of the editor's table, as saved in the flow (numbers may arrive as strings). */
export interface MethodSpec {
  address?: unknown;
  /** Type tags without the comma ("f", "ii", "s", "T", "[ff]"); empty: a method that takes no argument. */
  types?: unknown;
  /** 'r', 'w' or 'rw' (default 'rw'). */
  access?: unknown;
  min?: unknown;
  max?: unknown;
  unit?: unknown;
  description?: unknown;
}

/** Where the space's methods came from, for the status and the help. */
export type MethodOrigin = 'table' | 'route';

export interface Method {
  readonly address: string;
  /** Type tags, or undefined for a method declared without any (a route rule's address). */
  readonly types: string | undefined;
  readonly access: Access;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly unit: string | undefined;
  readonly description: string | undefined;
  readonly origin: MethodOrigin;
  /** The JSON of the last value sent or received on the address (one entry per argument); undefined: none yet. */
  value: unknown[] | undefined;
}

/** A node of the tree: a container (children) or a method, or both (a method whose address is also a prefix). */
export interface SpaceNode {
  readonly path: string;
  readonly children: Map<string, SpaceNode>;
  method: Method | undefined;
}

/** Caps on what a table may declare: the tree is served to the LAN and walked per request. */
export const MAX_METHODS = 4096;
export const MAX_DEPTH = 32;
export const MAX_ADDRESS_LENGTH = 1024;
const MAX_TEXT = 4096;

export class SpaceError extends Error {
  /** 1-based row of the table, or 0 for a route rule. */
  readonly row: number;
  constructor(row: number, message: string) {
    super(row > 0 ? `method ${row}: ${message}` : message);
    this.name = 'SpaceError';
    this.row = row;
  }
}

const TYPE_TAGS = /^[ifsbhtdScrmTFNI[\]]*$/;

/** Type tags as OSCQuery's TYPE holds them: no comma, brackets balanced and never empty. */
export function checkTypes(types: string): string | undefined {
  if (types.length > 256) return 'at most 256 type tags';
  if (!TYPE_TAGS.test(types)) return 'type tags are letters of i f s b h t d S c r m T F N I and [ ]';
  let depth = 0;
  for (let i = 0; i < types.length; i++) {
    const c = types[i];
    if (c === '[') {
      depth++;
      if (types[i + 1] === ']') return 'an array [ ] holds at least one type tag';
    } else if (c === ']' && --depth < 0) return 'a ] closes no [';
  }
  return depth === 0 ? undefined : 'a [ is not closed';
}

function text(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t.slice(0, MAX_TEXT);
}

function number(v: unknown, row: number, what: string): number | undefined {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new SpaceError(row, `${what} is not a number`);
  return n;
}

function accessOf(v: unknown): Access {
  if (v === 'r' || v === 1 || v === '1') return 1;
  if (v === 'w' || v === 2 || v === '2') return 2;
  if (v === 'none' || v === 0 || v === '0') return 0;
  return 3;
}

/** The reason an address cannot be a method, or undefined. */
export function checkAddress(address: string): string | undefined {
  if (address.length > MAX_ADDRESS_LENGTH) return `longer than ${MAX_ADDRESS_LENGTH} characters`;
  if (address === '/') return 'the root is the space itself, not a method';
  try {
    if (!compilePattern(address).literal) return 'a method has one address: no wildcards';
  } catch (e) {
    return (e as Error).message;
  }
  if (address.split('/').length - 1 > MAX_DEPTH) return `deeper than ${MAX_DEPTH} levels`;
  return undefined;
}

function methodOf(spec: MethodSpec, row: number, origin: MethodOrigin): Method {
  const address = typeof spec.address === 'string' ? spec.address.trim() : '';
  if (address === '') throw new SpaceError(row, 'no address');
  const bad = checkAddress(address);
  if (bad !== undefined) throw new SpaceError(row, `${address}: ${bad}`);
  let types: string | undefined;
  if (typeof spec.types === 'string') {
    types = spec.types.trim().replace(/^,/, '');
    const why = checkTypes(types);
    if (why !== undefined) throw new SpaceError(row, `${address}: ${why}`);
  } else if (origin === 'table') {
    types = '';
  }
  const min = number(spec.min, row, `${address}: min`);
  const max = number(spec.max, row, `${address}: max`);
  if (min !== undefined && max !== undefined && min > max) throw new SpaceError(row, `${address}: min is above max`);
  return {
    address,
    types,
    access: accessOf(spec.access),
    min,
    max,
    unit: text(spec.unit),
    description: text(spec.description),
    origin,
    value: undefined,
  };
}

function newNode(path: string): SpaceNode {
  return { path, children: new Map(), method: undefined };
}

/** Counts the type tags that take a value slot in VALUE, RANGE and UNIT (top level: an array is one slot). */
function slots(types: string): number {
  let n = 0;
  let depth = 0;
  for (const c of types) {
    if (c === '[') {
      if (depth++ === 0) n++;
    } else if (c === ']') depth--;
    else if (depth === 0) n++;
  }
  return n;
}

const NUMERIC = new Set(['i', 'f', 'h', 'd', 't']);

/**
 * An address space: built once per deploy from the table (and the literal rules of osc route nodes), then read by
 * every request and updated by every message on a declared address.
 */
export class AddressSpace {
  readonly root: SpaceNode = newNode('/');
  readonly methods = new Map<string, Method>();
  /** Root's DESCRIPTION. */
  readonly description: string | undefined;
  // Declared addresses by their byte length, for a lookup in a packet's bytes that builds no string.
  private readonly byLength = new Map<number, Array<{ bytes: Buffer; method: Method }>>();

  /**
   * Throws SpaceError for the first bad row. Route rules (addresses only) are added after the table and never
   * replace a row of it; wildcard rules are skipped (a pattern is not a method).
   */
  constructor(table: readonly MethodSpec[], routeAddresses: readonly string[] = [], description?: string) {
    this.description = description;
    if (table.length > MAX_METHODS) throw new SpaceError(0, `at most ${MAX_METHODS} methods`);
    table.forEach((spec, i) => {
      const m = methodOf(spec ?? {}, i + 1, 'table');
      if (this.methods.has(m.address)) throw new SpaceError(i + 1, `${m.address} is declared twice`);
      this.add(m);
    });
    for (const a of routeAddresses) {
      if (this.methods.size >= MAX_METHODS) break;
      if (typeof a !== 'string' || this.methods.has(a) || checkAddress(a) !== undefined) continue;
      this.add(methodOf({ address: a }, 0, 'route'));
    }
  }

  private add(m: Method): void {
    this.methods.set(m.address, m);
    let node = this.root;
    const parts = m.address.split('/').slice(1);
    let path = '';
    for (const part of parts) {
      path += '/' + part;
      let child = node.children.get(part);
      if (child === undefined) {
        child = newNode(path);
        node.children.set(part, child);
      }
      node = child;
    }
    node.method = m;
    const bytes = Buffer.from(m.address, 'utf8');
    const list = this.byLength.get(bytes.length);
    if (list) list.push({ bytes, method: m });
    else this.byLength.set(bytes.length, [{ bytes, method: m }]);
  }

  /** The node at an OSC address ('/' the root), or undefined. */
  find(path: string): SpaceNode | undefined {
    if (path === '/' || path === '') return this.root;
    if (path.charCodeAt(0) !== 47) return undefined;
    let node: SpaceNode | undefined = this.root;
    let start = 1;
    while (node !== undefined) {
      let end = path.indexOf('/', start);
      if (end < 0) end = path.length;
      node = node.children.get(path.slice(start, end));
      if (end === path.length) return node;
      start = end + 1;
    }
    return undefined;
  }

  /** The declared method whose address is the `length` bytes of `data` at `offset`, or undefined. Builds nothing. */
  methodAt(data: Uint8Array, offset: number, length: number): Method | undefined {
    const list = this.byLength.get(length);
    if (list === undefined) return undefined;
    for (let k = 0; k < list.length; k++) {
      const b = list[k].bytes;
      let i = 0;
      while (i < length && b[i] === data[offset + i]) i++;
      if (i === length) return list[k].method;
    }
    return undefined;
  }

  /** Values kept across a redeploy: a method declared alike in both keeps the value it had. */
  adoptValues(previous: AddressSpace): void {
    for (const [address, m] of this.methods) {
      const old = previous.methods.get(address);
      if (old !== undefined && old.value !== undefined && sameDeclaration(old, m)) m.value = old.value;
    }
  }
}

/** Whether two methods describe the same thing (the value aside). */
export function sameDeclaration(a: Method, b: Method): boolean {
  return (
    a.types === b.types &&
    a.access === b.access &&
    a.min === b.min &&
    a.max === b.max &&
    a.unit === b.unit &&
    a.description === b.description
  );
}

/** What a redeploy changed, as the WebSocket tells it: methods added, removed, and declared differently. */
export interface SpaceChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

export function diffSpaces(before: AddressSpace, after: AddressSpace): SpaceChanges {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [address, m] of after.methods) {
    const old = before.methods.get(address);
    if (old === undefined) added.push(address);
    else if (!sameDeclaration(old, m)) changed.push(address);
  }
  for (const address of before.methods.keys()) if (!after.methods.has(address)) removed.push(address);
  return { added, removed, changed };
}

/** The JSON of one OSC argument, as the proposal's table has it. */
export function argJson(arg: OscArg): unknown {
  switch (arg.type) {
    case 'i':
    case 'f':
    case 'd':
      return Number.isFinite(arg.value) ? arg.value : null;
    case 'h':
      return Number(arg.value);
    case 't':
      return arg.value.seconds + arg.value.fraction / 4294967296;
    case 's':
    case 'S':
    case 'c':
      return arg.value;
    case 'r': {
      const { r, g, b, a } = arg.value;
      return '#' + [r, g, b, a].map((x) => x.toString(16).padStart(2, '0').toUpperCase()).join('');
    }
    case 'T':
      return true;
    case 'F':
      return false;
    case '[':
      return arg.value.map(argJson);
    default:
      // b, m, N, I: the proposal's JSON null.
      return null;
  }
}

/** The attributes a server may be asked for, and whether we serve each one. */
export const ATTRIBUTES = {
  FULL_PATH: true,
  CONTENTS: true,
  TYPE: true,
  ACCESS: true,
  VALUE: true,
  RANGE: true,
  DESCRIPTION: true,
  UNIT: true,
  TAGS: false,
  EXTENDED_TYPE: false,
  CRITICAL: false,
  CLIPMODE: false,
  OVERLOADS: false,
  HTML: false,
} as const;

export type Attribute = keyof typeof ATTRIBUTES;

/** JSON of a node's own attributes (not CONTENTS). */
export function ownAttributes(space: AddressSpace, node: SpaceNode): Record<string, unknown> {
  const out: Record<string, unknown> = { FULL_PATH: node.path };
  const m = node.method;
  if (m === undefined) {
    out.ACCESS = 0;
    if (node === space.root && space.description !== undefined) out.DESCRIPTION = space.description;
    return out;
  }
  if (m.types !== undefined) out.TYPE = m.types;
  out.ACCESS = m.access;
  if (m.description !== undefined) out.DESCRIPTION = m.description;
  if (m.types !== undefined) {
    const n = slots(m.types);
    const tags = topLevelTags(m.types);
    if ((m.min !== undefined || m.max !== undefined) && n > 0) {
      out.RANGE = tags.map((t) => (NUMERIC.has(t) ? rangeOf(m) : null));
    }
    if (m.unit !== undefined && n > 0) out.UNIT = tags.map((t) => (NUMERIC.has(t) ? m.unit : null));
    if (m.value !== undefined && (m.access & 1) !== 0) out.VALUE = m.value;
  }
  return out;
}

function rangeOf(m: Method): Record<string, number> {
  const r: Record<string, number> = {};
  if (m.min !== undefined) r.MIN = m.min;
  if (m.max !== undefined) r.MAX = m.max;
  return r;
}

/** The top-level tags, an array standing as '['. */
function topLevelTags(types: string): string[] {
  const out: string[] = [];
  let depth = 0;
  for (const c of types) {
    if (c === '[') {
      if (depth++ === 0) out.push('[');
    } else if (c === ']') depth--;
    else if (depth === 0) out.push(c);
  }
  return out;
}

/** A node and everything below it, as `GET /path` returns it. */
export function nodeJson(space: AddressSpace, node: SpaceNode): Record<string, unknown> {
  const out = ownAttributes(space, node);
  if (node.children.size > 0) {
    // No prototype: an address part named __proto__ is a key like any other.
    const contents = Object.create(null) as Record<string, unknown>;
    for (const [name, child] of node.children) contents[name] = nodeJson(space, child);
    out.CONTENTS = contents;
  }
  return out;
}
