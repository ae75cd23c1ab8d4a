// Packets told apart, and typed arguments as the plain JS values a flow expects in msg.payload.

import type {
  OscArg,
  OscBundle,
  OscBundleInput,
  OscMessage,
  OscMessageInput,
  OscPacket,
  OscPacketInput,
} from './types';

export function isBundle<P extends OscPacket | OscPacketInput>(p: P): p is Extract<P, OscBundle | OscBundleInput> {
  return typeof p === 'object' && p !== null && Array.isArray((p as { packets?: unknown }).packets);
}

export function isMessage<P extends OscPacket | OscPacketInput>(p: P): p is Extract<P, OscMessage | OscMessageInput> {
  return typeof p === 'object' && p !== null && typeof (p as { address?: unknown }).address === 'string';
}

/**
 * A typed argument as the plain JS value a flow expects in msg.payload: i f d -> number; h -> number when it is
 * a safe integer, else bigint; s S c -> string; b m -> the bytes themselves (the same view, not a copy);
 * t -> { seconds, fraction }; r -> { r, g, b, a }; T -> true; F -> false; N -> null; I (impulse) -> true;
 * '[' -> an array of plain values.
 */
export function plainValue(arg: OscArg): unknown {
  switch (arg.type) {
    case 'h': {
      const n = Number(arg.value);
      return Number.isSafeInteger(n) ? n : arg.value;
    }
    case 't':
      return { seconds: arg.value.seconds, fraction: arg.value.fraction };
    case 'r':
      return { r: arg.value.r, g: arg.value.g, b: arg.value.b, a: arg.value.a };
    case 'I':
      return true;
    case '[':
      return plainValues(arg.value);
    default:
      return arg.value;
  }
}

export function plainValues(args: OscArg[]): unknown[] {
  const out = new Array<unknown>(args.length);
  for (let k = 0; k < args.length; k++) out[k] = plainValue(args[k]);
  return out;
}
