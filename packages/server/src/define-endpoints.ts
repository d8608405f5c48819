import type { EndpointDefinition } from './endpoint.js';

/**
 * Endpoints as `serve()` and `createLocalServer()` take them, with each declared input's and output's
 * `type` kept as a literal (`'string'`, not `string`), so a client can be typed from them:
 * `connect<typeof endpoints>(url)` (`@crowdserve/client`) checks routes and inputs and types results.
 * It returns its argument; the server checks every request's data at run time all the same.
 */
export function defineEndpoints<const E extends Record<string, EndpointDefinition>>(endpoints: E): E {
  return endpoints;
}
