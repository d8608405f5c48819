// A typed endpoint the type tests (public-api.test-d.ts) and the client's typed-app test both declare:
// one fixture, so the types checked and the values served are the same endpoint.
import { defineEndpoints } from '@crowdserve/server/browser';

export const typedEndpoints = defineEndpoints({
  '/add': {
    inputs: [
      { label: 'a', type: 'number' },
      { label: 'b', type: 'number' },
    ],
    outputs: [{ label: 'sum', type: 'number' }],
    fn: ([a, b]) => [Number(a) + Number(b)],
  },
});
