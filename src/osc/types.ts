// The codec's data model, named as in the OSC 1.0/1.1 specifications.

/** An NTP timetag: the two uint32 fields exactly as on the wire (no float rounding). */
export interface Timetag {
  seconds: number;
  fraction: number;
}

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** A typed argument: the OSC type tag and its value. */
export type OscArg =
  | { type: 'i' | 'f' | 'd'; value: number }
  | { type: 'h'; value: bigint }
  | { type: 's' | 'S' | 'c'; value: string }
  | { type: 'b'; value: Uint8Array }
  | { type: 't'; value: Timetag }
  | { type: 'r'; value: Rgba }
  /** MIDI: 4 bytes, port id, status, data1, data2. */
  | { type: 'm'; value: Uint8Array }
  | { type: 'T'; value: true }
  | { type: 'F'; value: false }
  | { type: 'N'; value: null }
  /** Impulse ("bang") in OSC 1.1: carries no value. */
  | { type: 'I'; value?: undefined }
  | { type: '['; value: OscArg[] };

export type OscTypeTag = OscArg['type'];

export interface OscMessage {
  address: string;
  args: OscArg[];
}

export interface OscBundle {
  timetag: Timetag;
  packets: OscPacket[];
}

export type OscPacket = OscMessage | OscBundle;

/** A plain JS value that encodePacket can type by itself (see NumberPolicy). */
export type PlainArg = number | bigint | string | boolean | null | Uint8Array | Date | PlainArg[] | OscArg;

/** What encodePacket accepts: typed or plain arguments, optionally forced by a type-tag string. */
export interface OscMessageInput {
  address: string;
  args?: PlainArg[] | PlainArg;
  /** A type-tag string such as ",ifs" that forces the tags of `args`. */
  types?: string;
}

export interface OscBundleInput {
  timetag: Timetag | Date | number;
  packets: OscPacketInput[];
}

export type OscPacketInput = OscMessageInput | OscBundleInput;

/** How a plain JS number is typed: int32 when integral (else float32), always float32, or always float64. */
export type NumberPolicy = 'int' | 'float' | 'double';
