// Types only: a server's endpoint declarations (`typeof endpoints`) become the client's checked
// routes, inputs and outputs. Nothing here runs; the server still checks every request it gets.
import type { App, SubmitOptions } from './app.js';
import type { Job } from './job.js';

/** One declared input or output, as a server's endpoint lists it (`{ label: 'text', type: 'string' }`). */
export interface IoDeclaration {
  readonly label: string;
  readonly type: string;
}

/** What a declared `type` means on the wire: the JSON value the server's input check accepts. */
export interface IoValueTypes {
  string: string;
  number: number;
  boolean: boolean;
  array: unknown[];
  object: Record<string, unknown>;
  any: unknown;
}

/**
 * Anything shaped like a server's endpoints: `typeof endpoints`, where `endpoints` was made with
 * `defineEndpoints()` (from `@crowdserve/server`), so that each `type` stays a literal.
 */
export type EndpointsLike = Record<
  string,
  { readonly inputs?: readonly IoDeclaration[]; readonly outputs?: readonly IoDeclaration[] }
>;

/** The value of one declaration; a `type` widened to `string` (not a literal) says nothing: `unknown`. */
type ValueOf<D> = D extends { readonly type: infer K }
  ? string extends K
    ? unknown
    : K extends keyof IoValueTypes
      ? IoValueTypes[K]
      : unknown
  : unknown;

/** A declaration list as a data tuple (`[{type:'string'}, {type:'number'}]` → `[string, number]`); undeclared: `unknown[]`. */
type DataOf<L> = L extends readonly IoDeclaration[] ? { -readonly [I in keyof L]: ValueOf<L[I]> } : unknown[];

/**
 * Each route's `inputs` and `outputs` as data tuples:
 * `EndpointTypes<typeof endpoints>['/classify']` is `{ inputs: [string]; outputs: [string] }`.
 */
export type EndpointTypes<E extends EndpointsLike> = {
  [K in keyof E & string]: {
    inputs: DataOf<E[K]['inputs']>;
    outputs: DataOf<E[K]['outputs']>;
  };
};

type Inputs<E extends EndpointsLike, K extends keyof E & string> = EndpointTypes<E>[K]['inputs'];
type Outputs<E extends EndpointsLike, K extends keyof E & string> = EndpointTypes<E>[K]['outputs'];

/**
 * An {@link App} whose routes, inputs and results are typed from a server's endpoints:
 * `await connect<typeof endpoints>(url)`. A route it does not declare, or data of the wrong arity
 * or type, is a type error. Endpoints are named by route here, not by `fn_index`.
 */
export interface TypedApp<E extends EndpointsLike> extends Omit<App, 'submit' | 'predict'> {
  /** {@link App.submit}, checked against the endpoint's declared inputs. */
  submit<K extends keyof E & string>(
    endpoint: K,
    data: Inputs<E, K>,
    options?: SubmitOptions<Outputs<E, K>>,
  ): Job<Outputs<E, K>>;
  /** {@link App.predict}, checked against the endpoint's declared inputs; resolves to its declared outputs. */
  predict<K extends keyof E & string>(
    endpoint: K,
    data: Inputs<E, K>,
    options?: SubmitOptions<Outputs<E, K>>,
  ): Promise<Outputs<E, K>>;
}

/** What `connect<E>()` gives: without `E`, today's untyped {@link App}. */
export type AppFor<E extends EndpointsLike | undefined> = [E] extends [EndpointsLike] ? TypedApp<E> : App;
