// The shared line's atomic steps: one Lua script each, so every step is one round trip and no other
// process sees half of it. Every script gets the same KEYS and ARGV[1..3], and emits its events into the
// one stream with ids `0-<seq>` (a reader that misses an entry sees a hole in the seqs).
import type { Redis } from 'ioredis';
import { type LineKeys } from './line-keys.js';

/**
 * Most entries the event stream keeps (trimmed `MAXLEN ~`, so a little more); a reader that falls
 * further behind gets a `resync`. Inboxes keep as many unread messages.
 */
export const STREAM_LENGTH = 10_000;

/** Scripts fail with these prefixes; the line maps them to its own errors. */
export const EPOCH_CHANGED = 'CSEPOCH';
export const NOT_REGISTERED = 'CSREAPED';
export const DUPLICATE_JOB = 'CSDUPLICATE';

// KEYS: 1 epoch, 2 events, 3 line, 4 jobs, 5 ticket, 6 processes, 7 leases.
// ARGV: 1 epoch (this process's), 2 stream length, 3 key prefix, then each script's own.
const PRELUDE = `
local prefix = ARGV[3]
local function emit(...)
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '0-*', ...)
end
local function checkEpoch()
  if redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return redis.error_reply('${EPOCH_CHANGED} Redis restarted: the shared line is re-registering')
  end
end
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Takes a waiting job off the line; returns its owner, or nil if it was not waiting.
local function take(id)
  if redis.call('ZREM', KEYS[3], id) == 0 then return nil end
  local meta = redis.call('HGET', KEYS[4], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('HDEL', prefix .. 'data', id)
  if not meta then return '' end
  local owner = string.match(meta, '^(%S+)')
  redis.call('SREM', prefix .. 'owned:' .. owner, id)
  return owner
end
local function emitProcesses()
  emit('t', 'processes', 'p', table.concat(redis.call('HGETALL', KEYS[6]), ' '))
end
-- A process leaves the live set: its waiting jobs leave the line, its inbox goes.
local function drop(pid)
  local owned = prefix .. 'owned:' .. pid
  for _, id in ipairs(redis.call('SMEMBERS', owned)) do
    if redis.call('ZREM', KEYS[3], id) == 1 then
      redis.call('HDEL', KEYS[4], id)
      redis.call('HDEL', prefix .. 'data', id)
      emit('t', 'leave', 'i', id)
    end
  end
  redis.call('DEL', owned, prefix .. 'inbox:' .. pid)
  redis.call('HDEL', KEYS[6], pid)
  redis.call('ZREM', KEYS[7], pid)
end
local function reap(now)
  local dead = redis.call('ZRANGEBYSCORE', KEYS[7], '-inf', now)
  for _, pid in ipairs(dead) do drop(pid) end
  return #dead
end
`;

const SCRIPTS = {
  // ARGV 4 id, 5 fnIndex, 6 owner, 7 maxSize (-1: none). Returns {1, ticket} or {0, queueSize}.
  lineJoin: `
local bad = checkEpoch() if bad then return bad end
if redis.call('HEXISTS', KEYS[6], ARGV[6]) == 0 then
  return redis.error_reply('${NOT_REGISTERED} this process lost its lease and is registering again')
end
if redis.call('HEXISTS', KEYS[4], ARGV[4]) == 1 then
  return redis.error_reply('${DUPLICATE_JOB} job ' .. ARGV[4] .. ' is already waiting in the line')
end
local size = redis.call('ZCARD', KEYS[3])
local maxSize = tonumber(ARGV[7])
if maxSize >= 0 and size >= maxSize then return {0, size} end
local ticket = redis.call('INCR', KEYS[5])
redis.call('ZADD', KEYS[3], ticket, ARGV[4])
redis.call('HSET', KEYS[4], ARGV[4], ARGV[6] .. ' ' .. ARGV[5])
redis.call('SADD', prefix .. 'owned:' .. ARGV[6], ARGV[4])
emit('t', 'join', 'i', ARGV[4], 'f', ARGV[5], 'o', ARGV[6], 'k', ticket)
return {1, ticket}`,

  // ARGV 4 id. Returns 1 if it was waiting.
  lineLeave: `
local bad = checkEpoch() if bad then return bad end
if take(ARGV[4]) then emit('t', 'leave', 'i', ARGV[4]) return 1 end
return 0`,

  // ARGV 4 claimer, 5.. ids. Returns pairs id, data (its stashed JSON, '' if none) of the ids won, in
  // the order asked: the data travels with the claim.
  lineClaim: `
local bad = checkEpoch() if bad then return bad end
local won = {}
for i = 5, #ARGV do
  local data = redis.call('HGET', prefix .. 'data', ARGV[i])
  if take(ARGV[i]) then
    emit('t', 'claim', 'i', ARGV[i], 'c', ARGV[4])
    won[#won + 1] = ARGV[i]
    won[#won + 1] = data or ''
  end
end
return won`,

  // ARGV 4 id, 5 data (JSON). Keeps a waiting job's data for its claimer. Returns 1 if it was waiting.
  lineStash: `
local bad = checkEpoch() if bad then return bad end
if not redis.call('ZSCORE', KEYS[3], ARGV[4]) then return 0 end
redis.call('HSET', prefix .. 'data', ARGV[4], ARGV[5])
return 1`,

  // ARGV 4 pid, 5 leaseMs. Renews the lease and reaps the expired. Returns how many were reaped.
  lineHeartbeat: `
local bad = checkEpoch() if bad then return bad end
if redis.call('HEXISTS', KEYS[6], ARGV[4]) == 0 then
  return redis.error_reply('${NOT_REGISTERED} this process lost its lease')
end
local now = nowMs()
redis.call('ZADD', KEYS[7], now + tonumber(ARGV[5]), ARGV[4])
local reaped = reap(now)
if reaped > 0 then emitProcesses() end
return reaped`,

  // ARGV 1 is a candidate epoch, kept only if Redis has none. ARGV 4 pid, 5 slots, 6 leaseMs, 7 the
  // highest ticket this process has seen: after a restart, new joins get tickets behind every old one.
  // Returns the epoch Redis holds.
  lineRegister: `
redis.call('SET', KEYS[1], ARGV[1], 'NX')
if tonumber(redis.call('GET', KEYS[5]) or '0') < tonumber(ARGV[7]) then redis.call('SET', KEYS[5], ARGV[7]) end
local now = nowMs()
redis.call('HSET', KEYS[6], ARGV[4], ARGV[5])
redis.call('ZADD', KEYS[7], now + tonumber(ARGV[6]), ARGV[4])
reap(now)
emitProcesses()
return redis.call('GET', KEYS[1])`,

  // ARGV 4 pid. No epoch check: leaving must work whatever Redis holds.
  lineDeregister: `
drop(ARGV[4])
emitProcesses()
return 1`,

  // After a restart: ARGV 4 owner, then triples id, fnIndex, ticket (ticket order). Puts back those not
  // there with their old tickets, and keeps the counter past them. Returns how many came back.
  lineRestore: `
local bad = checkEpoch() if bad then return bad end
local top = tonumber(redis.call('GET', KEYS[5]) or '0')
local restored = 0
for i = 5, #ARGV, 3 do
  local id, fnIndex, ticket = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  if redis.call('HEXISTS', KEYS[4], id) == 0 then
    redis.call('ZADD', KEYS[3], ticket, id)
    redis.call('HSET', KEYS[4], id, ARGV[4] .. ' ' .. fnIndex)
    redis.call('SADD', prefix .. 'owned:' .. ARGV[4], id)
    emit('t', 'join', 'i', id, 'f', fnIndex, 'o', ARGV[4], 'k', ticket)
    restored = restored + 1
  end
  if ticket > top then top = ticket end
end
redis.call('SET', KEYS[5], top)
return restored`,

  // Returns {lastEventId, processes (flat id slots), then triples id, ticket, meta in ticket order}.
  lineSnapshot: `
local bad = checkEpoch() if bad then return bad end
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local out = {last[1] and last[1][1] or '0-0', table.concat(redis.call('HGETALL', KEYS[6]), ' ')}
local line = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
for i = 1, #line, 2 do
  out[#out + 1] = line[i]
  out[#out + 1] = line[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[4], line[i]) or ''
end
return out`,

  // ARGV 4 to, 5 from, 6 body (JSON). Drops it when the target is not live. Returns 1 if queued.
  lineSend: `
if redis.call('HEXISTS', KEYS[6], ARGV[4]) == 0 then return 0 end
redis.call('XADD', prefix .. 'inbox:' .. ARGV[4], 'MAXLEN', '~', ARGV[2], '*', 'f', ARGV[5], 'b', ARGV[6])
return 1`,
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Arg = string | number;

/** The scripts, bound to one connection, keys and epoch: each method is one round trip. */
export class LineScripts {
  /** The epoch this process registered under; scripts refuse to run under another. */
  epoch = '';

  constructor(
    private readonly redis: Redis,
    private readonly keys: LineKeys,
  ) {
    for (const [name, body] of Object.entries(SCRIPTS)) {
      redis.defineCommand(name, { numberOfKeys: 7, lua: PRELUDE + body });
    }
  }

  join(id: string, fnIndex: number, owner: string, maxSize: number | null): Promise<[number, number]> {
    return this.run('lineJoin', [id, fnIndex, owner, maxSize ?? -1]) as Promise<[number, number]>;
  }

  leave(id: string): Promise<number> {
    return this.run('lineLeave', [id]) as Promise<number>;
  }

  claim(claimer: string, ids: readonly string[]): Promise<string[]> {
    return this.run('lineClaim', [claimer, ...ids]) as Promise<string[]>;
  }

  stash(id: string, json: string): Promise<number> {
    return this.run('lineStash', [id, json]) as Promise<number>;
  }

  heartbeat(pid: string, leaseMs: number): Promise<number> {
    return this.run('lineHeartbeat', [pid, leaseMs]) as Promise<number>;
  }

  /** Registers under the epoch Redis holds (or `candidate`, if none) and adopts it. */
  async register(pid: string, slots: number, leaseMs: number, seenTicket: number, candidate: string): Promise<string> {
    this.epoch = (await this.run('lineRegister', [pid, slots, leaseMs, seenTicket], candidate)) as string;
    return this.epoch;
  }

  deregister(pid: string): Promise<number> {
    return this.run('lineDeregister', [pid]) as Promise<number>;
  }

  restore(owner: string, jobs: readonly { id: string; fnIndex: number; ticket: number }[]): Promise<number> {
    const args = jobs.flatMap((job) => [job.id, job.fnIndex, job.ticket]);
    return this.run('lineRestore', [owner, ...args]) as Promise<number>;
  }

  snapshot(): Promise<string[]> {
    return this.run('lineSnapshot', []) as Promise<string[]>;
  }

  send(to: string, from: string, body: string): Promise<number> {
    return this.run('lineSend', [to, from, body]) as Promise<number>;
  }

  private run(name: ScriptName, args: readonly Arg[], epoch = this.epoch): Promise<unknown> {
    const { keys } = this;
    const command = (this.redis as unknown as Record<ScriptName, (...all: Arg[]) => Promise<unknown>>)[name];
    return command.call(
      this.redis,
      keys.epoch,
      keys.events,
      keys.line,
      keys.jobs,
      keys.ticket,
      keys.processes,
      keys.leases,
      epoch,
      STREAM_LENGTH,
      keys.prefix,
      ...args,
    );
  }
}
