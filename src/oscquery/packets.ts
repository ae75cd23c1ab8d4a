// Which messages of a packet passing an endpoint are on declared addresses: the only per-packet work OSCQuery adds
// to the message path. It reads the address bytes in place and looks them up among the declared ones by length
// and bytes, building no string; only a message on a declared address is decoded. Nothing here knows Node-RED.
import type { AddressSpace, Method } from './space';

/** Bundles inside bundles followed at most this deep (the codec's own default limit is deeper; values need less). */
const MAX_BUNDLE_DEPTH = 8;

export type DeclaredMessage = (method: Method, data: Uint8Array, start: number, end: number) => void;

/**
 * Calls `found` for each message of `data` (a message, or a bundle of them, nested) whose address is declared in
 * `space`, with its byte range. Malformed input is skipped silently: the endpoint's receivers report it.
 */
export function declaredMessages(space: AddressSpace, data: Uint8Array, found: DeclaredMessage): void {
  walk(space, data, 0, data.length, found, 0);
}

function walk(
  space: AddressSpace,
  data: Uint8Array,
  start: number,
  end: number,
  found: DeclaredMessage,
  depth: number,
): void {
  if (end - start < 4) return;
  const first = data[start];
  if (first === 47) {
    const nul = data.indexOf(0, start);
    if (nul < 0 || nul >= end) return;
    const m = space.methodAt(data, start, nul - start);
    if (m !== undefined) found(m, data, start, end);
    return;
  }
  // "#bundle\0", a timetag, then elements each preceded by its int32 size.
  if (first !== 35 || depth >= MAX_BUNDLE_DEPTH || end - start < 16 || data[start + 7] !== 0) return;
  let p = start + 16;
  while (p + 4 <= end) {
    const size = ((data[p] << 24) | (data[p + 1] << 16) | (data[p + 2] << 8) | data[p + 3]) >>> 0;
    p += 4;
    if (size === 0 || size > end - p) return;
    walk(space, data, p, p + size, found, depth + 1);
    p += size;
  }
}
