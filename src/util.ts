// The small helpers every layer uses, in one place so that they cannot drift apart. Nothing here knows Node-RED.

/** The `code` of an error (Node's `err.code`, or ours), or `fallback` when it has none. */
export function errorCode(e: unknown, fallback = 'EUNKNOWN'): string {
  const c = (e as { code?: unknown } | null | undefined)?.code;
  return typeof c === 'string' ? c : fallback;
}

/** "address:port", with an IPv6 address in brackets as URLs write it. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A boolean editor property: saved flows hold `true`, `"true"`, or nothing at all (older flows). */
export function flag(v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null || v === '') return dflt;
  return v === true || v === 'true';
}

/**
 * A numeric editor property: empty means the default. Text that is not a number stays NaN, so the layer that uses
 * it reports it instead of silently using another value.
 */
export function num(v: unknown, dflt: number): number {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return dflt;
  return Number(v);
}

/** A Buffer view of the same bytes, without copying. */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
