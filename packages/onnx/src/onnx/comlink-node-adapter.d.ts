// comlink ships this adapter as .mjs beside a .d.ts that TypeScript does not pair with it under NodeNext.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';

  /** A worker_threads `Worker` or `MessagePort`. */
  interface NodeEndpoint {
    postMessage(message: unknown, transfer?: readonly unknown[]): void;
    on(type: string, listener: (value: unknown) => void): unknown;
    off(type: string, listener: (value: unknown) => void): unknown;
    start?: () => void;
  }

  // eslint-disable-next-line no-restricted-syntax -- describes comlink's own default export
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
