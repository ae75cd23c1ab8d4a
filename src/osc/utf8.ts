// UTF-8 helpers for OSC-strings. Kept apart from the codec so the rules about what a string may hold live in one
// place: no NUL (it would end the OSC-string early), no lone surrogate (it has no UTF-8 form, and Node would
// quietly send U+FFFD instead).

import { TextDecoder } from 'node:util';

/** utf8Length's answer for a string holding a NUL. */
export const HAS_NUL = -1;
/** utf8Length's answer for a string holding a lone surrogate. */
export const ILL_FORMED = -2;

/** Byte length of s in UTF-8, or HAS_NUL / ILL_FORMED. ASCII, by far the usual case in OSC, takes one loop. */
export function utf8Length(s: string): number {
  const n = s.length;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c === 0 || c >= 0x80) return slowUtf8Length(s, k);
  }
  return n;
}

function slowUtf8Length(s: string, from: number): number {
  const n = s.length;
  let len = from;
  for (let k = from; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c < 0x80) {
      if (c === 0) return HAS_NUL;
      len += 1;
    } else if (c < 0x800) {
      len += 2;
    } else if (c < 0xd800 || c > 0xdfff) {
      len += 3;
    } else if (c <= 0xdbff) {
      const d = s.charCodeAt(k + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return ILL_FORMED;
      len += 4;
      k++;
    } else {
      return ILL_FORMED;
    }
  }
  return len;
}

// fatal: invalid UTF-8 must be refused, never replaced with U+FFFD. ignoreBOM: a leading U+FEFF is part of the
// string the sender meant; the default would strip it silently.
const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 strictly; returns undefined for invalid UTF-8 so the caller can report where it was. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  try {
    return fatalDecoder.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}
