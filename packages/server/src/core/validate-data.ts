import type { IoSpec } from '@crowdserve/protocol';

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Checks a request's `data` against an endpoint's declared inputs.
 * Returns a message for the client, or `null` when the data fits. Undeclared inputs accept any array.
 */
export function checkData(data: unknown[], inputs: IoSpec[] | undefined): string | null {
  if (inputs === undefined) return null;
  if (data.length !== inputs.length) {
    const names = inputs.map((i) => i.label).join(', ');
    return `expected ${inputs.length} input${inputs.length === 1 ? '' : 's'} (${names}), got ${data.length}`;
  }
  for (const [i, spec] of inputs.entries()) {
    const actual = typeOf(data[i]);
    if (spec.type !== 'any' && actual !== spec.type) {
      return `expected input ${i} (${spec.label}) to be ${spec.type}, got ${actual}`;
    }
  }
  return null;
}
