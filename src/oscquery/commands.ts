// OSCQuery's WebSocket text frames: the JSON commands a client sends ({"COMMAND": "LISTEN", "DATA": "/foo"}) read
// strictly, and the notifications the server sends. Pure, so the fuzzer can drive the parser. Nothing here knows
// Node-RED or sockets.

export type ClientCommand = { command: 'LISTEN' | 'IGNORE'; path: string };

export type ServerCommand = 'PATH_ADDED' | 'PATH_REMOVED' | 'PATH_CHANGED';

/** Longest text frame read as a command: a path is at most an address long (MAX_ADDRESS_LENGTH), plus the JSON. */
export const MAX_COMMAND_LENGTH = 2048;

/**
 * One text frame as a command, or a reason why it is not one: unknown commands (the proposal lets clients and
 * servers add their own) are reasons too, never errors that end the connection.
 */
export function parseCommand(text: string): ClientCommand | { error: string } {
  if (text.length > MAX_COMMAND_LENGTH) return { error: 'command too long' };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { error: 'not JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: 'not a JSON object' };
  const { COMMAND: command, DATA: data } = v as { COMMAND?: unknown; DATA?: unknown };
  if (command !== 'LISTEN' && command !== 'IGNORE') {
    return { error: typeof command === 'string' ? `unknown command ${command.slice(0, 40)}` : 'no COMMAND' };
  }
  if (typeof data !== 'string' || data.charCodeAt(0) !== 47) return { error: `${command} needs a path in DATA` };
  return { command, path: data };
}

export function serverCommand(command: ServerCommand, path: string): string {
  return JSON.stringify({ COMMAND: command, DATA: path });
}
