import type { ServerMessage } from '@crowdserve/protocol';
import type { Estimation } from '@crowdserve/queue';
import { estimationFieldsJson, estimationMessage, failedMessage, type EstimationFields } from './gradio3.js';
import { errorMessage } from './handler-output.js';
import type { JobSink } from './host-job.js';
import type { Channel } from './join-conversation.js';

/**
 * What a Gradio 3.x conversation writes to its channel: `sink` is what the host talks to. Statuses
 * after the first may be held for the channel's `sendStatus`; after the end (`ended`) nothing is written.
 */
export class ConversationOutput {
  ended = false;
  private estimated = false;
  /** The status handed to `sendStatus` and not written yet (its render not called). */
  private readonly unwritten = new HeldEstimation();
  // One render for the conversation's life, not one per status: a round to a crowd makes no closures.
  private readonly render = (): string => this.unwritten.take();

  readonly sink: JobSink = {
    // The first estimation (at join) goes at once, before anything else the job hears; later ones
    // are rounds to the whole line, which the channel may spread out and coalesce.
    estimate: (estimation: Estimation) => {
      if (this.ended) return;
      if (!this.estimated || this.channel.sendStatus === undefined)
        return this.sink.send(estimationMessage(estimation));
      this.unwritten.hold(estimation);
      this.channel.sendStatus(this.render);
    },
    send: (message: ServerMessage) => {
      if (this.ended) return;
      if (message.msg === 'estimation') this.estimated = true;
      // `send` drops a status not written yet. A job asked for its data early (prefetch) still waits,
      // so that status still holds: it goes first, and a client that stops showing the queue at
      // `send_data` is left with its current place.
      if (message.msg === 'send_data' && this.unwritten.held) this.channel.send(this.render());
      this.unwritten.held = false;
      const text = this.encode(message);
      if (text !== undefined) this.channel.send(text);
    },
    close: (code, reason) => {
      if (this.ended) return;
      this.ended = true;
      this.channel.close(code, reason.slice(0, 120));
    },
  };

  constructor(private readonly channel: Channel) {}

  // The one place a message is encoded. An output checked once may still fail now (a `toJSON` that
  // throws on its second call): that is this job's error, never a throw into the host's dispatch.
  private encode(message: ServerMessage): string | undefined {
    try {
      return JSON.stringify(message);
    } catch (cause) {
      this.ended = true;
      this.channel.send(JSON.stringify(failedMessage(`the output cannot be sent as JSON (${errorMessage(cause)})`)));
      this.channel.close(1000, 'bad output');
      return undefined;
    }
  }
}

/**
 * A conversation's status not written yet, as numbers in one object it keeps for its life and
 * rewrites in place (null as NaN, so each field stays a plain double). A round to a crowd then leaves
 * nothing of its own alive while the writer works through it: the engine's `Estimation`s die with the
 * round's step, instead of living on, 10,000 of them, into the garbage collector's next copy and
 * from there into the old generation. Its frame is rendered from these numbers when written.
 */
class HeldEstimation implements EstimationFields {
  held = false;
  rank = 0;
  queueSize = 0;
  rankEta = NaN;
  queueEta = 0;
  avgEventProcessTime = NaN;
  avgEventConcurrentProcessTime = NaN;

  hold(e: Estimation): void {
    this.held = true;
    this.rank = e.rank;
    this.queueSize = e.queueSize;
    this.rankEta = e.rankEta ?? NaN;
    this.queueEta = e.queueEta;
    this.avgEventProcessTime = e.avgEventProcessTime ?? NaN;
    this.avgEventConcurrentProcessTime = e.avgEventConcurrentProcessTime ?? NaN;
  }

  /** The held estimation's frame (the text `estimationMessage` of it makes); no longer held. */
  take(): string {
    this.held = false;
    return estimationFieldsJson(this);
  }
}
