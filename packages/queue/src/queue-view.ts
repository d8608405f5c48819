import type { Batch, PeerBatch } from './batch.js';
import type { QueueView } from './forecast.js';
import type { QueueState } from './queue-state.js';

/**
 * The forecast's view of the engine's state, with the counters that key its pass cache: `version`
 * moves with every change of the line or the slots, `moves` with every change but a join at the back.
 */
export class QueueViews {
  private version = 0;
  private moves = 0;
  /** Every batch in a slot, iterable again and again: a pass may be made more than once from one view. */
  private readonly batches: Iterable<Batch>;
  private readonly peerBatches: Iterable<PeerBatch>;

  constructor(private readonly state: QueueState) {
    this.batches = { [Symbol.iterator]: () => state.batches.values() };
    this.peerBatches = { [Symbol.iterator]: () => state.peers.values() };
  }

  /** A job joined at the back: nobody else's rank moved. */
  joined(): void {
    this.version++;
  }

  /** Something that can move an ETA changed. */
  moved(): void {
    this.version++;
    this.moves++;
  }

  view(): QueueView {
    const { now, line, peers } = this.state;
    const { version, moves, batches, peerBatches } = this;
    return { now, version, moves, line, batches, peerSlots: peers.slots, peerBatches };
  }
}
