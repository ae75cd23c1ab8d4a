// QLab's replies: /reply<address> with one string argument holding JSON, {workspace_id, address, status, data},
// where status is "ok", "error" (the method failed) or "denied" (QLab 5: the passcode does not allow it).
// Nothing here knows sockets or Node-RED.
import { RequestError } from './matcher';

export interface QlabReply {
  /** "ok", "error" or "denied". */
  status: string;
  /** The method's result: a cue list, a name, a number...; absent for methods that return nothing. */
  data?: unknown;
  /** The address QLab invoked. */
  address?: string;
  /** The workspace that answered, when the method was a workspace's. */
  workspace_id?: string;
  [key: string]: unknown;
}

/**
 * The JSON of a QLab reply, from its arguments' plain values (a one-argument reply's value, or the array of
 * them). Throws RequestError BAD_REPLY when it is not a QLab reply.
 */
export function parseQlabReply(payload: unknown, address: string): QlabReply {
  const text: unknown = Array.isArray(payload) ? (payload.length === 1 ? (payload[0] as unknown) : undefined) : payload;
  if (typeof text !== 'string') {
    throw new RequestError(
      'BAD_REPLY',
      `the reply ${address} is not a QLab reply: QLab answers with one string argument holding JSON`,
      'qlab.not-qlab',
      { address },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new RequestError(
      'BAD_REPLY',
      `the reply ${address} holds no valid JSON: ${(e as Error).message}`,
      'qlab.bad-json',
      { address, detail: (e as Error).message },
    );
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    typeof (parsed as QlabReply).status !== 'string'
  ) {
    throw new RequestError(
      'BAD_REPLY',
      `the reply ${address} is JSON without a "status": not a QLab reply`,
      'qlab.no-status',
      { address },
    );
  }
  return parsed as QlabReply;
}

/** The error a QLab reply stands for: status "error" (REPLY_ERROR) or "denied" (REPLY_DENIED); undefined for "ok". */
export function qlabReplyError(reply: QlabReply, address: string): RequestError | undefined {
  if (reply.status === 'ok') return undefined;
  const about = typeof reply.address === 'string' ? reply.address : address;
  if (reply.status === 'denied') {
    return new RequestError(
      'REPLY_DENIED',
      `QLab denied ${about}: the workspace's passcode does not allow it (status "denied")`,
      'qlab.denied',
      { address: about },
    );
  }
  const data = reply.data === undefined ? '' : `: ${JSON.stringify(reply.data)}`;
  return new RequestError('REPLY_ERROR', `QLab answered ${about} with status "${reply.status}"${data}`, 'qlab.error', {
    address: about,
    status: reply.status,
    data,
  });
}
