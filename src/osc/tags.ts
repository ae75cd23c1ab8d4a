// The bytes the OSC wire format gives a meaning: the type tags, and the first bytes of a message, a bundle and a
// type-tag string. Const enums, so that each use compiles to the number itself: the encoder's and decoder's
// switches on a tag then compare against constants, not against properties loaded from another module.

/** Type tags, by the character each one is on the wire. */
export const enum Tag {
  i = 105,
  f = 102,
  d = 100,
  h = 104,
  s = 115,
  S = 83,
  c = 99,
  b = 98,
  t = 116,
  r = 114,
  m = 109,
  T = 84,
  F = 70,
  N = 78,
  I = 73,
  OPEN = 91,
  CLOSE = 93,
}

export const enum Char {
  /** Starts an address: a message. */
  SLASH = 47,
  /** Starts "#bundle". */
  HASH = 35,
  /** Starts a type-tag string. */
  COMMA = 44,
}

/** "#bundle\0" */
export const BUNDLE_HEADER: readonly number[] = [35, 98, 117, 110, 100, 108, 101, 0];

/** Known type tags: 1 for each tag this codec reads and writes, 0 otherwise. */
export const KNOWN_TAG = new Uint8Array(128);
for (const c of 'ifdhsScbtrmTFNI[]') KNOWN_TAG[c.charCodeAt(0)] = 1;
