// The Redis keys of one shared line. All live under the hash tag `{key}`, so one Redis Cluster slot
// holds them and every script touches one node.

export interface LineKeys {
  /** `{key}:` — per-process keys (`owned:<pid>`, `inbox:<pid>`) are built from it inside the scripts. */
  prefix: string;
  /** STRING: a random id set by the first process to register; a new one means Redis restarted empty. */
  epoch: string;
  /** STREAM: the line's events, ids `0-<seq>` so a reader sees a gap as a missing seq. */
  events: string;
  /** ZSET: waiting job id → ticket. */
  line: string;
  /** HASH: waiting job id → "<owner> <fnIndex>". */
  jobs: string;
  /** STRING: the ticket counter (INCR). */
  ticket: string;
  /** HASH: live process id → slots. */
  processes: string;
  /** ZSET: live process id → lease expiry (Redis TIME, ms). */
  leases: string;
}

export function lineKeys(key: string): LineKeys {
  const prefix = `{${key}}:`;
  return {
    prefix,
    epoch: `${prefix}epoch`,
    events: `${prefix}events`,
    line: `${prefix}line`,
    jobs: `${prefix}jobs`,
    ticket: `${prefix}ticket`,
    processes: `${prefix}processes`,
    leases: `${prefix}leases`,
  };
}

/** SET: ids of the waiting jobs `process` owns, so reaping it is O(its jobs). */
export const ownedKey = (keys: LineKeys, process: string): string => `${keys.prefix}owned:${process}`;

/** HASH: waiting job id → its data (JSON), stashed by its owner so that its claim brings it along. */
export const dataKey = (keys: LineKeys): string => `${keys.prefix}data`;

/** STREAM: the relay inbox of `process`, trimmed as it reads. */
export const inboxKey = (keys: LineKeys, process: string): string => `${keys.prefix}inbox:${process}`;
