/**
 * The kernel's own count of datagrams it dropped at one of our UDP sockets (receive buffer full), read from
 * /proc/net/udp and /proc/net/udp6 on Linux. These drops happen before any of our code runs, so this is the only
 * way to tell a user "the network delivered it, but we were too slow / the buffer too small".
 *
 * Where the OS does not tell (not Linux, /proc not mounted, the row not found) the answer is undefined, never 0:
 * "no drops" and "we cannot know" must not look the same in a status.
 */
import * as fs from 'node:fs';

export interface UdpSocketKernelStats {
  /** Datagrams dropped at this socket since it was created. */
  drops: number;
  /** Bytes queued in the receive buffer, waiting for us to read them. */
  rxQueue: number;
  /** The socket's inode (the number in /proc/<pid>/fd/N -> "socket:[inode]"). */
  inode: number;
  /** Local port. */
  port: number;
}

export interface UdpSocketQuery {
  /** Local port the socket is bound to. */
  port: number;
  /** The socket's inode when known (see findOwnUdpSocketInode): exact, even when several sockets share the port (SO_REUSEADDR). */
  inode?: number;
  /** Which table to look in; both when absent. */
  family?: 'udp4' | 'udp6';
}

const TABLES = { udp4: '/proc/net/udp', udp6: '/proc/net/udp6' } as const;

/**
 * Parse the text of /proc/net/udp or /proc/net/udp6 into rows. Columns are found by their header names,
 * because the kernel has appended columns over the years ("drops" since 2.6.27) and may again.
 */
export function parseProcNetUdp(text: string): UdpSocketKernelStats[] {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').trim().split(/\s+/);
  // Header words do not line up with data columns ("tx_queue rx_queue" head one "tx:rx" column, "tr tm->when"
  // one "tr:when"), so columns are taken by position; the header only tells whether "drops" exists.
  const rows: UdpSocketKernelStats[] = [];
  if (!header.includes('drops')) return rows;
  for (let i = 1; i < lines.length; i++) {
    const cols = (lines[i] as string).trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
    if (cols.length < 13) continue;
    const local = cols[1] as string;
    const colon = local.lastIndexOf(':');
    if (colon < 0) continue;
    const port = parseInt(local.slice(colon + 1), 16);
    const queues = (cols[4] as string).split(':');
    const rxQueue = parseInt(queues[1] ?? '', 16);
    const inode = Number(cols[9]);
    const drops = Number(cols[cols.length - 1]);
    if (!Number.isFinite(port) || !Number.isFinite(inode) || !Number.isFinite(drops)) continue;
    rows.push({ port, rxQueue: Number.isFinite(rxQueue) ? rxQueue : 0, inode, drops });
  }
  return rows;
}

function pick(rows: UdpSocketKernelStats[], q: UdpSocketQuery): UdpSocketKernelStats | undefined {
  if (q.inode !== undefined) {
    for (const r of rows) if (r.inode === q.inode) return r;
    return undefined;
  }
  for (const r of rows) if (r.port === q.port) return r;
  return undefined;
}

function tablesFor(q: UdpSocketQuery): string[] {
  return q.family ? [TABLES[q.family]] : [TABLES.udp4, TABLES.udp6];
}

/** Read the kernel's counters for one UDP socket, synchronously. undefined where the OS does not tell. */
export function readUdpSocketStatsSync(q: UdpSocketQuery): UdpSocketKernelStats | undefined {
  if (process.platform !== 'linux') return undefined;
  for (const file of tablesFor(q)) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    const row = pick(parseProcNetUdp(text), q);
    if (row) return row;
  }
  return undefined;
}

/**
 * Read the kernel's counters for one UDP socket without blocking the event loop (the tables grow with the
 * number of sockets on the machine). undefined where the OS does not tell.
 */
export async function readUdpSocketStats(q: UdpSocketQuery): Promise<UdpSocketKernelStats | undefined> {
  if (process.platform !== 'linux') return undefined;
  for (const file of tablesFor(q)) {
    let text: string;
    try {
      text = await fs.promises.readFile(file, 'latin1');
    } catch {
      continue;
    }
    const row = pick(parseProcNetUdp(text), q);
    if (row) return row;
  }
  return undefined;
}

/** The kernel's drop count for one UDP socket, or undefined where the OS does not tell. */
export async function readUdpDrops(q: UdpSocketQuery): Promise<number | undefined> {
  return (await readUdpSocketStats(q))?.drops;
}

/**
 * The inode of the UDP socket this process has bound to `port`, which identifies its row in /proc/net/udp
 * exactly (several sockets may share a port with SO_REUSEADDR, other processes' too). Found by matching the
 * table's rows against this process's own socket fds, because Node does not expose a dgram socket's fd.
 * Call it once after bind; undefined when the OS does not tell or the port is not ours.
 */
export function findOwnUdpSocketInode(port: number, family?: 'udp4' | 'udp6'): number | undefined {
  if (process.platform !== 'linux') return undefined;
  const own = new Set<number>();
  let fds: string[];
  try {
    fds = fs.readdirSync('/proc/self/fd');
  } catch {
    return undefined;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
      if (m) own.add(Number(m[1]));
    } catch {
      // The fd closed while we looked (readdir's own fd, or a socket closing): not the one we want.
    }
  }
  for (const file of tablesFor({ port, family })) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const r of parseProcNetUdp(text)) if (r.port === port && own.has(r.inode)) return r.inode;
  }
  return undefined;
}
