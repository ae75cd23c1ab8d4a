// How the monitor shows an argument, for the runtime and the editor alike: the editor's copy
// (resources/osc-monitor-format.js) is generated from this module's compiled code by scripts/build.js, so the
// sidebar and "learn" cannot drift from it. Pure: no Node-RED, no Node.js API, no runtime imports (only types),
// because the editor bundle can hold nothing else.
import type { Timetag } from '../osc/types';

/** One argument, kept short but typed, so that a message can be reproduced from it (see truncateArg). */
export interface MonitorArg {
  type: string;
  /**
   * i f d: the number; h: the int64 as a decimal string; s S c: the string (cut); b m: hex of the first bytes;
   * t: {seconds, fraction}; r: {r,g,b,a}; T F N I: true, false, null, null; [: the elements.
   */
  value: unknown;
  /** b: the blob's whole size in bytes. */
  size?: number;
  /** The value was cut (a long string, a large blob, a long array). */
  truncated?: true;
}

/** Short text for a value, for a table cell: a blob as its size and first bytes, a long string cut. */
export function shortValue(a: MonitorArg): string {
  const v = a.value;
  switch (a.type) {
    case 'f':
      // float32 carries about 7 significant digits: 0.34, not 0.3400000035762787.
      return typeof v === 'number' ? String(Number(v.toPrecision(7))) : String(v);
    case 'b':
      return `blob[${a.size ?? 0}] ${v as string}${a.truncated ? '…' : ''}`;
    case 's':
    case 'S':
      return JSON.stringify(v) + (a.truncated ? '…' : '');
    case 'c':
      return `'${v as string}'`;
    case 'h':
      return `${v as string}n`;
    case 'm':
      return `midi ${v as string}`;
    case 't': {
      const t = v as Timetag;
      return `t ${t.seconds}.${t.fraction}`;
    }
    case 'r': {
      const c = v as { r: number; g: number; b: number; a: number };
      return `rgba(${c.r},${c.g},${c.b},${c.a})`;
    }
    case 'T':
      return 'true';
    case 'F':
      return 'false';
    case 'N':
      return 'nil';
    case 'I':
      return 'impulse';
    case '[':
      return `[${(v as MonitorArg[]).map(shortValue).join(', ')}${a.truncated ? ', …' : ''}]`;
    default:
      return String(v);
  }
}
