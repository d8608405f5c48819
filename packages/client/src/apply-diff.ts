import type { SseDiffEdit } from '@crowdserve/protocol/sse';

/** Path steps that would reach a prototype: a diff that names one is refused, never applied. */
const FORBIDDEN_STEPS = new Set(['__proto__', 'constructor', 'prototype']);

/** A diff that cannot be applied to the value it is meant for. */
export class DiffError extends Error {
  override name = 'DiffError';
}

/**
 * Applies one output's `sse_v2`+ diff (Gradio's `apply_diff`: edits in order, a string `append`
 * concatenates, `add`/`delete` on a list insert/remove at the index) and returns the new value.
 * The previous value is left untouched: every container on an edited path is copied, so outputs
 * already handed out as `partial` data never change under their holder.
 */
export function applyDiff(previous: unknown, edits: unknown): unknown {
  if (!Array.isArray(edits)) throw new DiffError(`expected a list of edits, got ${typeof edits}`);
  let value = previous;
  for (const edit of edits) value = applyEdit(value, checkEdit(edit));
  return value;
}

function checkEdit(edit: unknown): SseDiffEdit {
  if (!Array.isArray(edit) || edit.length !== 3) throw new DiffError('expected an edit [action, path, value]');
  const [action, path, value] = edit as unknown[];
  if (action !== 'replace' && action !== 'append' && action !== 'add' && action !== 'delete') {
    throw new DiffError(`expected an action replace, append, add or delete, got ${String(action)}`);
  }
  if (!Array.isArray(path) || !path.every((s) => typeof s === 'number' || typeof s === 'string')) {
    throw new DiffError('expected a path of strings and numbers');
  }
  if (path.some((s) => FORBIDDEN_STEPS.has(String(s)))) throw new DiffError('expected no prototype key in a path');
  return [action, path as (string | number)[], value];
}

function applyEdit(target: unknown, [action, path, value]: SseDiffEdit): unknown {
  if (path.length === 0) {
    if (action === 'replace') return value;
    if (action === 'append') return append(target, value);
    throw new DiffError(`expected replace or append at the root, got ${action}`);
  }
  const [step, ...rest] = path as [string | number, ...(string | number)[]];
  const copy = copyContainer(target);
  if (rest.length > 0) {
    if (!Object.hasOwn(copy, step)) throw new DiffError(`expected a value at ${String(step)}`);
    set(copy, step, applyEdit(get(copy, step), [action, rest, value]));
    return copy;
  }
  switch (action) {
    case 'replace':
      set(copy, step, value);
      break;
    case 'append':
      set(copy, step, append(get(copy, step), value));
      break;
    case 'add':
      if (Array.isArray(copy)) copy.splice(index(copy, step, 1), 0, value);
      else copy[step] = value;
      break;
    case 'delete':
      if (Array.isArray(copy)) copy.splice(index(copy, step, 0), 1);
      else delete copy[step];
      break;
  }
  return copy;
}

type Container = unknown[] | Record<string | number, unknown>;

function copyContainer(target: unknown): Container {
  if (Array.isArray(target)) return [...(target as unknown[])];
  if (typeof target === 'object' && target !== null) return { ...(target as Record<string, unknown>) };
  throw new DiffError(`expected a list or an object to edit, got ${target === null ? 'null' : typeof target}`);
}

function get(container: Container, step: string | number): unknown {
  return (container as Record<string | number, unknown>)[step];
}

function set(container: Container, step: string | number, value: unknown): void {
  if (Array.isArray(container)) container[index(container, step, 0)] = value;
  else container[step] = value;
}

/** A list index in `[0, length - 1 + slack]`; `add` may append (slack 1). */
function index(list: unknown[], step: string | number, slack: number): number {
  const i = Number(step);
  if (!Number.isSafeInteger(i) || i < 0 || i > list.length - 1 + slack) {
    throw new DiffError(`expected an index below ${list.length + slack}, got ${String(step)}`);
  }
  return i;
}

function append(target: unknown, value: unknown): unknown {
  if (typeof target === 'string' && typeof value === 'string') return target + value;
  throw new DiffError('expected to append a string to a string');
}
