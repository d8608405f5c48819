// Type tests of typed endpoints (issue 22.9): a server's declarations, here written `as const`,
// type the client's routes, inputs and results. `defineEndpoints()` from the server makes the same
// type (packages/server/src/public-api.test-d.ts); the client itself never imports the server.
import { connect, type App, type EndpointTypes, type Job, type JobStatus, type TypedApp } from '@crowdserve/client';
import { expectTypeOf } from 'vitest';

export const endpoints = {
  '/classify': {
    inputs: [{ label: 'text', type: 'string' }],
    outputs: [
      { label: 'label', type: 'string' },
      { label: 'score', type: 'number' },
    ],
  },
  '/add': {
    inputs: [
      { label: 'a', type: 'number' },
      { label: 'b', type: 'number' },
    ],
    outputs: [{ label: 'sum', type: 'number' }],
  },
  '/mixed': {
    inputs: [
      { label: 'flag', type: 'boolean' },
      { label: 'items', type: 'array' },
      { label: 'options', type: 'object' },
      { label: 'anything', type: 'any' },
    ],
  },
  // Declares nothing: any data array, unknown outputs, as untyped.
  '/free': {},
} as const;
type Endpoints = typeof endpoints;

expectTypeOf<EndpointTypes<Endpoints>['/classify']>().toEqualTypeOf<{
  inputs: [string];
  outputs: [string, number];
}>();
expectTypeOf<EndpointTypes<Endpoints>['/mixed']['inputs']>().toEqualTypeOf<
  [boolean, unknown[], Record<string, unknown>, unknown]
>();
expectTypeOf<EndpointTypes<Endpoints>['/mixed']['outputs']>().toEqualTypeOf<unknown[]>();
expectTypeOf<EndpointTypes<Endpoints>['/free']>().toEqualTypeOf<{ inputs: unknown[]; outputs: unknown[] }>();
// A `type` widened to `string` (declared without `as const` or `defineEndpoints`) says nothing.
expectTypeOf<EndpointTypes<{ '/x': { inputs: { label: string; type: string }[] } }>['/x']['inputs']>().toEqualTypeOf<
  unknown[]
>();

expectTypeOf(connect<Endpoints>('http://127.0.0.1:7860')).toEqualTypeOf<Promise<TypedApp<Endpoints>>>();

declare const app: TypedApp<Endpoints>;
expectTypeOf(app.predict('/classify', ['so good'])).toEqualTypeOf<Promise<[string, number]>>();
expectTypeOf(app.predict('/add', [1, 2])).toEqualTypeOf<Promise<[number]>>();
expectTypeOf(app.submit('/add', [1, 2])).toEqualTypeOf<Job<[number]>>();
expectTypeOf(app.submit('/add', [1, 2]).status).toEqualTypeOf<JobStatus<[number]> | null>();
expectTypeOf(app.predict('/free', ['whatever', 1, null])).toEqualTypeOf<Promise<unknown[]>>();
void app.submit('/classify', ['x'], {
  onStatus: (status) => {
    if (status.type === 'done') expectTypeOf(status.data).toEqualTypeOf<[string, number]>();
  },
});
// The rest of the app is App's.
expectTypeOf(app.endpoints).toEqualTypeOf<App['endpoints']>();
expectTypeOf(app.close).toEqualTypeOf<App['close']>();

// @ts-expect-error a route the server does not declare
void app.predict('/clasify', ['x']);
// @ts-expect-error wrong arity: /add takes two numbers
void app.predict('/add', [1]);
// @ts-expect-error wrong arity: one input too many
void app.predict('/classify', ['x', 'y']);
// @ts-expect-error wrong input type: /add takes numbers
void app.predict('/add', ['1', 2]);
// @ts-expect-error a typed app names endpoints by route, not fn_index
void app.predict(0, ['x']);
// @ts-expect-error the result is typed: a number is not a string
expectTypeOf(app.predict('/add', [1, 2])).resolves.toEqualTypeOf<[string]>();
