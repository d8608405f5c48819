/** An endpoint's input form: what a person fills in, turned into the request's `data`. */
export interface InputWidget {
  readonly element: HTMLElement;
  /** The request's `data`; `user` is a stampede user's number (undefined for a single submit). */
  data(user?: number): Promise<unknown[]>;
  /** Stops what the widget runs (a microphone recording), when it is replaced. */
  dispose?(): void;
}
