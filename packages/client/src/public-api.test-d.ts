// Type tests of the client's public entry points, as a user's editor sees them (the built
// declarations): checked by `tsc -p tsconfig.test.json` and the vitest `types` project.
import { connect, type App, type ConnectOptions, type Job, type JobStatus, type QueueTarget } from '@crowdserve/client';
// Node resolves the package to index.node.js, whose types must be the ones the package declares.
import { connect as connectFromNode } from './index.node.js';
import { expectTypeOf } from 'vitest';

// Untyped (no type argument): today's App.
expectTypeOf(connect<undefined>).parameters.toEqualTypeOf<
  [target: string | URL | QueueTarget, options?: ConnectOptions]
>();
expectTypeOf(connect<undefined>).returns.toEqualTypeOf<Promise<App>>();
expectTypeOf(connect('http://127.0.0.1:7860')).toEqualTypeOf<Promise<App>>();
// The Node entry's connect only differs in its default WebSocket, never in its signature.
expectTypeOf(connectFromNode<undefined>).toEqualTypeOf(connect<undefined>);
expectTypeOf(connectFromNode<{ '/x': { inputs: [{ label: 'x'; type: 'string' }] } }>).toEqualTypeOf(
  connect<{ '/x': { inputs: [{ label: 'x'; type: 'string' }] } }>,
);

declare const app: App;
expectTypeOf(app.submit('/predict', ['x'])).toEqualTypeOf<Job<unknown[]>>();
expectTypeOf(app.submit<[string]>(0, ['x']).result).toEqualTypeOf<Promise<[string]>>();
expectTypeOf(app.predict<[number]>('/predict', [1])).toEqualTypeOf<Promise<[number]>>();
expectTypeOf(app.submit<[string]>('/predict', []).status).toEqualTypeOf<JobStatus<[string]> | null>();
expectTypeOf<Job>().toExtend<AsyncIterable<JobStatus>>();

// Options are closed: a misspelt one is an error, not a silently ignored key.
// @ts-expect-error `retries` is not an option (`retry` is)
void connect('http://127.0.0.1:7860', { retries: 3 });
// @ts-expect-error a transport is one of the named dialects
void connect('http://127.0.0.1:7860', { transport: 'sse_v4' });
// @ts-expect-error an endpoint takes its inputs as an array
void app.predict('/predict', 'x');
