// Type tests of the server's public entry points, as a user's editor sees them (the built
// declarations): checked by `tsc -p tsconfig.test.json` and the vitest `types` project.
import { connect, type App, type EndpointTypes } from '@crowdserve/client';
import {
  createLocalServer,
  defineEndpoints,
  type LocalServer,
  type LocalServerOptions,
  type EndpointDefinition,
} from '@crowdserve/server/browser';
import { serve, type Server, type ServeOptions } from '@crowdserve/server/node';
import { expectTypeOf } from 'vitest';
import { typedEndpoints } from '../test/typed-endpoints.js';

const endpoints: Record<string, EndpointDefinition> = { '/predict': { fn: ([x]) => [x] } };

expectTypeOf(serve).parameters.toEqualTypeOf<[options: ServeOptions]>();
expectTypeOf(serve).returns.toEqualTypeOf<Promise<Server>>();
expectTypeOf(serve({ endpoints })).resolves.toHaveProperty('url').toEqualTypeOf<string>();
expectTypeOf(serve({ endpoints })).resolves.toHaveProperty('close').returns.toEqualTypeOf<Promise<void>>();

expectTypeOf(createLocalServer).parameters.toEqualTypeOf<[options: LocalServerOptions]>();
expectTypeOf(createLocalServer).returns.toEqualTypeOf<LocalServer>();
// An in-page server is a target the client connects to without a URL.
expectTypeOf(connect(createLocalServer({ endpoints }))).toEqualTypeOf<Promise<App>>();

// A handler may answer at once, later, or as a stream of partial outputs.
expectTypeOf<{ fn: () => unknown[] }>().toExtend<EndpointDefinition>();
expectTypeOf<{ fn: () => Promise<unknown[]> }>().toExtend<EndpointDefinition>();
expectTypeOf<{ fn: () => AsyncGenerator<unknown[]> }>().toExtend<EndpointDefinition>();

// Options are closed: an unknown one is an error (`serve({ redis })` must not start a plain server).
// @ts-expect-error `redis` is not an option
void serve({ endpoints, redis: 'redis://127.0.0.1' });
// @ts-expect-error endpoints are required
void serve({ port: 0 });
// @ts-expect-error a local server has no port
createLocalServer({ endpoints, port: 0 });

// Typed endpoints (issue 22.9): `defineEndpoints` keeps each declared `type` a literal, so the
// client types itself from `typeof typed`; `serve` takes the same object.
const typed = defineEndpoints({
  '/classify': {
    batch: true,
    inputs: [{ label: 'text', type: 'string' }],
    outputs: [{ label: 'sentiment', type: 'string' }],
    // The handler's contextual types are serve()'s: a batch of requests in, one output each out.
    fn: async (requests, { signal }) => {
      expectTypeOf(requests).toEqualTypeOf<unknown[][]>();
      expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
      return requests.map(([text]) => [String(text)]);
    },
  },
  '/add': typedEndpoints['/add'],
});
expectTypeOf(serve({ endpoints: typed })).resolves.toEqualTypeOf<Server>();
expectTypeOf<EndpointTypes<typeof typed>>().toEqualTypeOf<{
  '/classify': { inputs: [string]; outputs: [string] };
  '/add': { inputs: [number, number]; outputs: [number] };
}>();
declare const typedApp: Awaited<ReturnType<typeof connect<typeof typed>>>;
expectTypeOf(typedApp.predict('/add', [1, 2])).toEqualTypeOf<Promise<[number]>>();
// @ts-expect-error wrong input type: /classify takes a string
void typedApp.predict('/classify', [42]);
// @ts-expect-error an endpoint's definition is still checked: a batch handler gets many requests
defineEndpoints({ '/x': { batch: true, fn: (requests: string) => [requests] } });
