// Recently decoded short strings, by a hash of their bytes: OSC traffic repeats the same addresses and symbols
// endlessly, and comparing a dozen bytes is cheaper than building a new string each time.
//
// The decoder reads an OSC-string a 4-byte word at a time to find its NUL; it leaves those words in `wordsRead`
// and their hash in `h`, so a lookup reads no byte twice.

import { OscError } from './errors';
import { decodeUtf8 } from './utf8';

const CACHE_BITS = 9;
const CACHE_MASK = (1 << CACHE_BITS) - 1;
/** Longest string cached, in 4-byte words including its NUL: 47 characters. */
const CACHE_WORDS = 12;
const cache: string[] = new Array<string>(1 << CACHE_BITS).fill('');
// Each cached string's bytes as big-endian words, compared a word at a time against the words just read.
const cacheWords = new Int32Array((1 << CACHE_BITS) * CACHE_WORDS);
const cacheLen = new Int32Array(1 << CACHE_BITS).fill(-1);
/** The words of the string being read, as big-endian int32s; the decoder fills at most its length. */
const wordsRead = new Int32Array(CACHE_WORDS);

// Local bindings: a call through an imported module object is a property load on every call.
const decodeUtf8Strict = decodeUtf8;

/**
 * The string in buf[p, nul), whose `n + 1` words (the last one holding the NUL) are in wordsRead and hashed into
 * `h`; `hi` has a byte's top bit set if any byte has. Same bytes, same string: the cache holds only strings that
 * decoded, so a non-ASCII one found there was valid UTF-8.
 */
function cachedString(buf: Uint8Array, p: number, nul: number, n: number, h: number, hi: number, what: string): string {
  const len = nul - p;
  const words = wordsRead;
  const slot = (h ^ (h >>> CACHE_BITS) ^ len) & CACHE_MASK;
  const cached = cacheWords;
  const base = slot * CACHE_WORDS;
  if (cacheLen[slot] === len) {
    let k = 0;
    while (k <= n && cached[base + k] === words[k]) k++;
    if (k > n) return cache[slot];
  }
  const s = decodeString(buf, p, nul, hi, what);
  for (let k = 0; k <= n; k++) cached[base + k] = words[k];
  cache[slot] = s;
  cacheLen[slot] = len;
  return s;
}

/** The string in buf[p, nul), not cached; `hi` as for cachedString. Invalid UTF-8 is BAD_STRING. */
function decodeString(buf: Uint8Array, p: number, nul: number, hi: number, what: string): string {
  if ((hi & 0x80808080) === 0 && nul - p < 64) {
    let s = '';
    for (let k = p; k < nul; k++) s += String.fromCharCode(buf[k]);
    return s;
  }
  const s = decodeUtf8Strict(buf, p, nul);
  if (s === undefined) throw new OscError('BAD_STRING', `${what} at offset ${p} is not valid UTF-8`, p);
  return s;
}

// Exported here rather than at their declarations: inside this module an exported binding compiles to a property
// load on `exports` at every use.
export { cachedString, decodeString, wordsRead };
