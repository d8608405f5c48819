import { ServerOptionRangeError } from '../errors.js';
/** How the server writes to sockets that read slowly or not at all, and to a crowd at once. */
export interface SendLimits {
  /**
   * Status frames (`estimation` broadcasts) written per event-loop turn; the rest follow on the next
   * turns (`setImmediate`), so a round to 10,000 waiting clients never blocks the loop for long.
   * @default 256
   */
  statusChunkSize?: number;
  /**
   * While more than this many bytes wait to go out on a socket, its status frames are skipped: a
   * client that stops reading does not pile up estimations it will never read. @default 65536
   */
  slowClientBytes?: number;
  /**
   * A socket with more than this many bytes waiting to go out when the server writes to it again is
   * terminated (its job is cancelled): no client can make the server hold an unbounded backlog.
   * @default 4194304 (4 MiB)
   */
  maxBufferedBytes?: number;
}

export type ResolvedSendLimits = Required<SendLimits>;

export const DEFAULT_SEND_LIMITS = {
  statusChunkSize: 256,
  slowClientBytes: 64 * 1024,
  maxBufferedBytes: 4 * 1024 * 1024,
} as const satisfies ResolvedSendLimits;

/** Fills defaults and checks each limit once. */
export function resolveSendLimits(limits: SendLimits = {}): ResolvedSendLimits {
  const o = {
    statusChunkSize: limits.statusChunkSize ?? DEFAULT_SEND_LIMITS.statusChunkSize,
    slowClientBytes: limits.slowClientBytes ?? DEFAULT_SEND_LIMITS.slowClientBytes,
    maxBufferedBytes: limits.maxBufferedBytes ?? DEFAULT_SEND_LIMITS.maxBufferedBytes,
  };
  for (const [name, value] of Object.entries(o)) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new ServerOptionRangeError(name, 'an integer ≥ 1', value);
    }
  }
  if (o.slowClientBytes > o.maxBufferedBytes) {
    throw new ServerOptionRangeError(
      'slowClientBytes',
      `at most maxBufferedBytes (${o.maxBufferedBytes})`,
      o.slowClientBytes,
    );
  }
  return o;
}
