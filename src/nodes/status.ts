// Node status composition, without Node-RED: what each node shows under it, from its counters and its endpoint.
// Statuses go to every open editor, so nodes refresh them at most once per STATUS_INTERVAL_MS (a Throttle).
import type { NodeStatus } from './red';
import type { Texts } from './texts';

/** How often at most a node's status is refreshed while packets flow. */
export const STATUS_INTERVAL_MS = 500;

/** Parts of a status line are joined by this. */
const SEP = ' · ';

/** osc-codec: what it decoded, encoded, and failed to (with the code of the last failure). */
export function codecStatus(texts: Texts, c: { decoded: number; encoded: number; failed: number; lastCode: string }): NodeStatus {
  const parts: string[] = [];
  if (c.decoded > 0) parts.push(texts.t('status.decoded', { count: c.decoded }));
  if (c.encoded > 0) parts.push(texts.t('status.encoded', { count: c.encoded }));
  if (c.failed > 0) parts.push(texts.t('status.failed', { count: c.failed, code: c.lastCode }));
  return { fill: c.failed > 0 ? 'yellow' : 'green', shape: 'dot', text: parts.join(SEP) };
}
