// Reads the stream's entries and the snapshot script's reply back into typed events. Only the line's own
// scripts write these keys, so a malformed entry is a bug (or a foreign writer): it is reported, not guessed.
import type { Claimed, LineEvent, LineJob, LineProcess } from './line-types.js';

/** A stream entry as ioredis returns it: its id and its flat field/value list. */
export type StreamEntry = [id: string, fields: string[]];

export class MalformedLineEntryError extends Error {
  override readonly name = 'MalformedLineEntryError';
  readonly code = 'MALFORMED_LINE_ENTRY';
}

/** The fields of a `batchStarted` / `batchFinished` entry, as XADD arguments. */
export function batchStartedFields(process: string, key: string, fnIndex: number, size: number): string[] {
  return ['t', 'batchStarted', 'p', process, 'y', key, 'f', String(fnIndex), 'n', String(size)];
}

export function batchFinishedFields(process: string, key: string, seconds: number, ok: boolean): string[] {
  return ['t', 'batchFinished', 'p', process, 'y', key, 's', String(seconds), 'ok', ok ? '1' : '0'];
}

export function parseLineEvent([id, flat]: StreamEntry): LineEvent {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
  const text = (name: string): string => {
    const value = fields.get(name);
    if (value === undefined) throw new MalformedLineEntryError(`line event ${id} lacks field '${name}'`);
    return value;
  };
  const number = (name: string): number => {
    const value = Number(text(name));
    if (!Number.isFinite(value)) throw new MalformedLineEntryError(`line event ${id}: '${name}' is not a number`);
    return value;
  };
  const type = text('t');
  switch (type) {
    case 'join':
      return { type, job: { id: text('i'), fnIndex: number('f'), owner: text('o'), ticket: number('k') } };
    case 'leave':
      return { type, id: text('i') };
    case 'claim':
      return { type, id: text('i'), claimer: text('c') };
    case 'batchStarted':
      return { type, process: text('p'), key: text('y'), fnIndex: number('f'), size: number('n') };
    case 'batchFinished':
      return { type, process: text('p'), key: text('y'), seconds: number('s'), ok: text('ok') === '1' };
    case 'processes':
      return { type, processes: parseProcesses(text('p')) };
    default:
      throw new MalformedLineEntryError(`line event ${id} has unknown type '${type}'`);
  }
}

/** "id slots id slots …" (a flat HGETALL) → processes, sorted by id so equal sets read equal. */
export function parseProcesses(flat: string): LineProcess[] {
  const words = flat === '' ? [] : flat.split(' ');
  const processes: LineProcess[] = [];
  for (let i = 0; i + 1 < words.length; i += 2) processes.push({ id: words[i]!, slots: Number(words[i + 1]) });
  return processes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface LineSnapshot {
  /** The last event id the snapshot includes: reading goes on after it. */
  lastId: string;
  processes: LineProcess[];
  /** The whole line, ticket order. */
  jobs: LineJob[];
}

/** The snapshot script's reply: lastId, processes, then triples id, ticket, "owner fnIndex". */
export function parseSnapshot(reply: string[]): LineSnapshot {
  const [lastId = '0-0', processes = '', ...rest] = reply;
  const jobs: LineJob[] = [];
  for (let i = 0; i + 2 < rest.length; i += 3) {
    const [owner = '', fnIndex = 'NaN'] = rest[i + 2]!.split(' ');
    jobs.push({ id: rest[i]!, ticket: Number(rest[i + 1]), owner, fnIndex: Number(fnIndex) });
  }
  return { lastId, processes: parseProcesses(processes), jobs };
}

/** The claim script's reply: pairs id, stashed data ('' for none; only `stash` writes it, a JSON array). */
export function parseClaimed(flat: string[]): Claimed[] {
  const won: Claimed[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) won.push({ id: flat[i]!, data: parseStashed(flat[i + 1]!) });
  return won;
}

function parseStashed(json: string): unknown[] | undefined {
  if (json === '') return undefined;
  try {
    const data: unknown = JSON.parse(json);
    return Array.isArray(data) ? data : undefined;
  } catch {
    return undefined; // never written so: asked through the owner instead
  }
}

/** The seq of an event id `0-<seq>`. */
export function eventSeq(id: string): number {
  return Number(id.slice(id.indexOf('-') + 1));
}
