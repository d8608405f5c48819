import type { EstimationMessage, ServerMessage } from '@crowdserve/protocol';
import type { Estimation } from '@crowdserve/queue';
import { afterEach, describe, expect, it } from 'vitest';
import { estimationMessage } from './gradio3.js';
import { startConversation, type Channel, type Conversation } from './join-conversation.js';
import type { JobSink, QueueHost } from './queue-host.js';

/** A channel that holds statuses until `flush()`, as a crowd writer does; a `send` drops a held one. */
function deferringChannel() {
  const written: string[] = [];
  let held: (() => string) | null = null;
  const channel: Channel = {
    send: (text) => {
      held = null;
      written.push(text);
    },
    close: () => {},
    sendStatus: (render) => {
      held = render;
    },
  };
  const flush = (): void => {
    if (held !== null) written.push(held());
    held = null;
  };
  return { channel, flush, types: () => written.map((t) => (JSON.parse(t) as ServerMessage).msg), written };
}

/** Starts a conversation with a stand-in host and joins; returns the job's sink as the host holds it. */
function joined(channel: Channel): { sink: JobSink; conversation: Conversation } {
  let sink: JobSink | undefined;
  const host = {
    join: (s: JobSink) => {
      sink = s;
      return '1';
    },
    leave: () => {},
  } as unknown as QueueHost;
  const conversation = startConversation(channel, host, { handshakeTimeoutMs: 1_000 });
  conversation.receive(JSON.stringify({ fn_index: 0, session_hash: 'x' }));
  return { sink: sink as JobSink, conversation };
}

const estimation = (rank: number): Estimation => ({
  rank,
  queueSize: rank + 1,
  avgEventProcessTime: null,
  avgEventConcurrentProcessTime: null,
  rankEta: rank * 0.5,
  queueEta: 0,
});

/** Tells the job its place, as the host does. */
const estimate = (sink: JobSink, e: Estimation): void => (sink.estimate as (e: Estimation) => void)(e);

let open: Conversation | undefined;
afterEach(() => open?.closed());

describe('the Gradio 3 conversation with data prefetch', () => {
  it('writes a status not written yet before send_data: a prefetched job still waits, and hears its place first', () => {
    const c = deferringChannel();
    const { sink, conversation } = joined(c.channel);
    open = conversation;
    estimate(sink, estimation(3));
    estimate(sink, estimation(0));
    sink.send({ msg: 'send_data' });
    expect(c.types()).toEqual(['send_hash', 'estimation', 'estimation', 'send_data']);
    expect(JSON.parse(c.written[2] as string)).toMatchObject({ rank: 0 });
    // Later statuses go through the writer again.
    estimate(sink, estimation(0));
    c.flush();
    expect(c.types()).toEqual(['send_hash', 'estimation', 'estimation', 'send_data', 'estimation']);
  });

  it('does not repeat a status already written, and lets other frames drop a stale one', () => {
    const c = deferringChannel();
    const { sink, conversation } = joined(c.channel);
    open = conversation;
    estimate(sink, estimation(2));
    estimate(sink, estimation(1));
    estimate(sink, estimation(0));
    c.flush();
    // The first status goes at once; of the later two, not yet written, only the newest is.
    expect(c.written.slice(1).map((t) => JSON.parse(t) as EstimationMessage)).toMatchObject([{ rank: 2 }, { rank: 0 }]);
    // Rendered when written, as the message would be.
    expect(c.written[2]).toBe(JSON.stringify(estimationMessage(estimation(0))));
    sink.send({ msg: 'send_data' });
    estimate(sink, estimation(0));
    sink.send({ msg: 'process_starts', eta: null });
    expect(c.types()).toEqual(['send_hash', 'estimation', 'estimation', 'send_data', 'process_starts']);
  });

  it('renders a held status field for field as the engine made it, known times and unknown ones', () => {
    const c = deferringChannel();
    const { sink, conversation } = joined(c.channel);
    open = conversation;
    const unknownEta: Estimation = {
      rank: 7,
      queueSize: 9,
      avgEventProcessTime: 1.23456,
      avgEventConcurrentProcessTime: 0.61728,
      rankEta: null,
      queueEta: 12.3456,
    };
    const knownEta: Estimation = { ...unknownEta, rank: 6, avgEventProcessTime: null, rankEta: 4.5 };
    estimate(sink, estimation(8));
    for (const e of [unknownEta, knownEta]) {
      estimate(sink, e);
      c.flush();
    }
    expect(c.written.slice(2)).toEqual([unknownEta, knownEta].map((e) => JSON.stringify(estimationMessage(e))));
    expect(JSON.parse(c.written[2] as string)).toMatchObject({
      rank: 7,
      rank_eta: null,
      avg_event_process_time: 1.235,
    });
  });
});
