/**
 * Every way the codec, the stream framings and the pattern compiler can refuse input. Codes are stable:
 * flows and tests match on them, so never rename one.
 */
export type OscErrorCode =
  | 'EMPTY_PACKET'
  | 'BAD_SIZE' // packet or element size not a multiple of 4
  | 'TRUNCATED' // an item runs past the end of the packet
  | 'BAD_PADDING' // padding bytes that are not zero
  | 'BAD_ADDRESS' // address missing its leading '/', or containing forbidden characters
  | 'BAD_PACKET' // first byte neither '/' nor '#', or '#' not followed by "#bundle"
  | 'MISSING_TYPE_TAGS' // no ',' type-tag string (accepted only in lenient mode)
  | 'UNKNOWN_TYPE_TAG'
  | 'BAD_ARRAY' // unbalanced '[' or ']'
  | 'BAD_STRING' // string without NUL, or invalid UTF-8
  | 'BAD_BLOB' // negative blob size
  | 'BAD_BUNDLE_ELEMENT' // element size negative, not a multiple of 4, or not matching its content
  | 'TRAILING_BYTES'
  | 'LIMIT_EXCEEDED' // nesting depth, argument count, packet or frame size
  | 'BAD_ARGUMENT' // encoding: a value that does not fit its tag
  | 'BAD_TYPE_TAGS' // encoding: a forced type-tag string that does not fit the arguments
  | 'BAD_TIMETAG'
  | 'BAD_PATTERN' // address pattern: unclosed '[' or '{', empty '[]', forbidden character
  | 'BAD_FRAME'; // stream framing: an invalid SLIP escape (the frame is dropped)

export class OscError extends Error {
  readonly code: OscErrorCode;
  /** Byte offset in the packet (decoding), character position (patterns), or -1 when none applies. */
  readonly offset: number;
  /** Index of the argument at fault when encoding, else undefined. */
  readonly argIndex?: number;

  constructor(code: OscErrorCode, message: string, offset = -1, argIndex?: number) {
    super(message);
    this.name = 'OscError';
    this.code = code;
    this.offset = offset;
    if (argIndex !== undefined) this.argIndex = argIndex;
  }
}

export function isOscError(e: unknown): e is OscError {
  return e instanceof OscError;
}
