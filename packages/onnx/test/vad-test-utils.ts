import type { Feeds } from '../src/onnx/tensors.js';

/**
 * A clip's feeds (see `vadFeeds`) as a batch sends them: without the state, which the step plan
 * starts from zeros in the worker. Throws if the state left out was not zeros.
 */
export function withoutState({ state, ...rest }: Feeds): Feeds {
  if (state === undefined || state.data.some((v) => v !== 0)) throw new Error('expected a zero state');
  return rest;
}
