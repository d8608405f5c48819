// Type tests of the server's public entry points, as a user's editor sees them (the built
// declarations): checked by `tsc -p tsconfig.test.json` and the vitest `types` project.
import { connect, type App } from '@crowdserve/client';
import {
  createLocalServer,
  type LocalServer,
  type LocalServerOptions,
  type EndpointDefinition,
} from '@crowdserve/server/browser';
import { serve, type Server, type ServeOptions } from '@crowdserve/server/node';
import { expectTypeOf } from 'vitest';

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
