// What carries an OSCQuery server across a redeploy of its osc-query node. Node-RED closes the old node and
// creates a new one with the same id; WebSocket clients connected to the old server can only hear PATH_ADDED,
// PATH_REMOVED and PATH_CHANGED if the server outlives the node. So a node stopped but not removed parks its server
// here for a short while, and the node that comes next with the same id and the same listening settings adopts it;
// anything else closes it. Nothing here knows Node-RED.
import type { OscQueryServer } from './server';

/** How long a parked server waits for its successor: a redeploy stops every node, then starts the new ones. */
export const PARK_MS = 15000;

interface Parked {
  server: OscQueryServer;
  /** The settings that decide where and how it listens: only a successor with the same ones may adopt it. */
  key: string;
  timer: NodeJS.Timeout;
}

const parked = new Map<string, Parked>();
const closing = new Map<string, Promise<void>>();

/** Keeps `server` for the node that replaces node `id`; closes it after PARK_MS if none comes. */
export function park(id: string, key: string, server: OscQueryServer, ms = PARK_MS): void {
  void release(id);
  const timer = setTimeout(() => void release(id), ms);
  // A parked server must not keep a stopping runtime alive by its timer (its sockets are closed by the runtime's exit).
  timer.unref();
  parked.set(id, { server, key, timer });
}

/**
 * The server parked for node `id` if it listens as `key` says, else undefined; a parked server that does not fit
 * is closed, and `whenReleased(id)` resolves once its port is free.
 */
export function adopt(id: string, key: string): OscQueryServer | undefined {
  const p = parked.get(id);
  if (p === undefined) return undefined;
  if (p.key !== key) {
    void release(id);
    return undefined;
  }
  clearTimeout(p.timer);
  parked.delete(id);
  return p.server;
}

/** Resolves once the server parked for `id`, if it was closed, has let go of its port. */
export function whenReleased(id: string): Promise<void> {
  return closing.get(id) ?? Promise.resolve();
}

function release(id: string): Promise<void> {
  const p = parked.get(id);
  if (p === undefined) return whenReleased(id);
  clearTimeout(p.timer);
  parked.delete(id);
  const done = p.server.close().finally(() => {
    if (closing.get(id) === done) closing.delete(id);
  });
  closing.set(id, done);
  return done;
}

/** Closes every parked server (tests, after unloading a flow). */
export function closeParked(): Promise<void> {
  return Promise.all([...parked.keys()].map((id) => release(id))).then(() => undefined);
}

/** Servers parked now (tests prove a removal or a changed port leaves none). */
export function parkedCount(): number {
  return parked.size;
}
