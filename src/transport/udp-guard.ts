/**
 * What an osc-udp endpoint does to protect a show from its network: refuse senders not on its allow-list
 * (counted, never delivered), ask the kernel for a receive buffer big enough to absorb a burst, and find out from
 * the kernel how many datagrams it dropped at our socket anyway. One per endpoint; no Node-RED here.
 */
import type * as dgram from 'node:dgram';
import { hostPort } from '../util';
import { parseAllowList } from './allowlist';
import type { AllowList } from './allowlist';
import { findOwnUdpSocketInode, readUdpSocketStats } from './procnet';

/** 1 MiB: a SuperCollider score or a 60 KB packet among small ones fits, on a Raspberry Pi too. */
export const DEFAULT_RCVBUF = 1024 * 1024;
/** The kernel counters are read this often at most: a file read per packet would cost more than the packet. */
export const KERNEL_STATS_INTERVAL_MS = 5000;

export interface RecvBufferReport {
  /** Bytes asked for (0: the system default was kept). */
  asked: number;
  /** What the kernel reports it granted (Linux reports twice the usable size, for its own bookkeeping). */
  granted: number;
  /** True when the kernel gave less than asked (on Linux: capped by net.core.rmem_max). */
  capped: boolean;
}

/**
 * The receive-buffer size from an editor field: a whole number of bytes, '' or undefined for the default.
 * 0 keeps the system's default. Throws RangeError with a message for the user otherwise.
 */
export function parseRcvbuf(v: unknown): number {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return DEFAULT_RCVBUF;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new RangeError(`receive buffer "${String(v)}" is not a whole number of bytes (0 keeps the system default)`);
  }
  return n;
}

function kib(n: number): string {
  return n >= 1048576 && n % 1048576 === 0 ? `${n / 1048576} MiB` : `${Math.round(n / 1024)} KiB`;
}

export class UdpReceiveGuard {
  readonly allowList: AllowList;
  readonly rcvbuf: number;
  /** Datagrams refused because their sender is not on the allow-list. */
  rejected = 0;
  /** The last sender refused ("10.0.0.9:57120"), for the log. */
  lastRejected: string | undefined;
  /** Datagrams the kernel dropped at our socket (receive buffer full); undefined where the OS does not tell. */
  kernelDrops: number | undefined;
  recvBuffer: RecvBufferReport | undefined;

  private timer: NodeJS.Timeout | undefined;
  private query: { port: number; inode?: number; family: 'udp4' | 'udp6' } | undefined;
  private inflight: Promise<boolean> | undefined;
  private onChange: (() => void) | undefined;

  /** Throws AllowListError (naming the bad entry) or RangeError for a bad receive-buffer size. */
  constructor(allow: string | readonly string[] | undefined, rcvbuf: unknown) {
    this.allowList = parseAllowList(allow);
    this.rcvbuf = parseRcvbuf(rcvbuf);
  }

  /** Per datagram: true to deliver it. Counting happens here so a refusal can never be silent. */
  admit(address: string, port: number): boolean {
    if (this.allowList.allows(address)) return true;
    this.rejected++;
    this.lastRejected = hostPort(address, port);
    return false;
  }

  /**
   * Asks for the configured receive buffer on a bound socket and records what the kernel granted. Linux caps
   * the request at net.core.rmem_max without an error, so only reading it back tells.
   */
  applyRecvBuffer(socket: dgram.Socket): RecvBufferReport {
    const asked = this.rcvbuf;
    let refused = false;
    if (asked > 0) {
      try {
        socket.setRecvBufferSize(asked);
      } catch {
        refused = true; // the platform's default buffer still works; reported below as capped
      }
    }
    const granted = socket.getRecvBufferSize();
    // Linux doubles what it grants (half is its overhead), so a full grant reads back as twice the request.
    const full = process.platform === 'linux' ? 2 * asked : asked;
    this.recvBuffer = { asked, granted, capped: asked > 0 && (refused || granted < full) };
    return this.recvBuffer;
  }

  /** A sentence for the log when the kernel gave less than asked, else undefined. */
  recvBufferWarning(): string | undefined {
    const r = this.recvBuffer;
    if (!r || !r.capped) return undefined;
    const usable = process.platform === 'linux' ? r.granted / 2 : r.granted;
    const how =
      process.platform === 'linux' ? `; raise the limit with: sudo sysctl -w net.core.rmem_max=${r.asked}` : '';
    return `asked the kernel for a ${kib(r.asked)} receive buffer and got ${kib(usable)}${how}`;
  }

  /** Starts polling the kernel's drop counter for the socket bound to `port`; `onChange` runs when it moves. */
  startKernelStats(port: number, family: 'udp4' | 'udp6', onChange: () => void): void {
    this.stop();
    this.onChange = onChange;
    const inode = findOwnUdpSocketInode(port, family);
    // Without the inode a row could belong to another socket on the same port (multicast shares ports).
    this.query = { port, family, ...(inode !== undefined ? { inode } : {}) };
    if (inode === undefined) return;
    void this.refreshKernelStats();
    this.timer = setInterval(() => void this.refreshKernelStats(), KERNEL_STATS_INTERVAL_MS);
    this.timer.unref();
  }

  /** Reads the kernel's counters now; resolves true when the drop count changed. Never rejects. */
  refreshKernelStats(): Promise<boolean> {
    // A read already under way answers for this caller too: two reads racing could report one change twice.
    this.inflight ??= this.readKernelStats().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async readKernelStats(): Promise<boolean> {
    const q = this.query;
    if (!q || q.inode === undefined) return false;
    try {
      const row = await readUdpSocketStats(q);
      if (this.query !== q) return false; // stopped, or rebound, while reading
      const drops = row?.drops;
      if (drops === this.kernelDrops) return false;
      this.kernelDrops = drops;
      this.onChange?.();
      return true;
    } catch {
      return false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.query = undefined;
    this.onChange = undefined;
  }
}
