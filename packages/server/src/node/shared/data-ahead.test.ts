// DataAhead against a recording sink (the transport's, in this unit test only; shared-handover.test.ts
// runs the path with three real processes on a real redis-server).
import type { ServerMessage } from '@crowdserve/protocol';
import { describe, expect, it, vi } from 'vitest';
import type { JobSink } from '../../core/host-job.js';
import { DataAhead } from './data-ahead.js';

const ESTIMATION = {
  rank: 0,
  queueSize: 1,
  rankEta: null,
  queueEta: 0,
  avgEventProcessTime: null,
  avgEventConcurrentProcessTime: null,
};

function setUp() {
  const stashes: [string, unknown[]][] = [];
  const answers: [string, unknown[]][] = [];
  const ahead = new DataAhead(
    (id, data) => stashes.push([id, data]),
    (id, data) => answers.push([id, data]),
  );
  const sent: ServerMessage[] = [];
  const inner: JobSink = { send: (message) => sent.push(message), estimate: () => {}, close: () => {} };
  return { ahead, stashes, answers, sent, inner };
}

describe('DataAhead', () => {
  it('asks a 3.x client early once its job is near the front and it has heard its place; stashes the answer', async () => {
    const { ahead, stashes, answers, sent, inner } = setUp();
    const sink = ahead.wrap(inner, undefined);
    sink.bind('j1');
    ahead.due(['j1']);
    expect(sent).toEqual([]); // not before it has heard a place
    sink.estimate!(ESTIMATION);
    expect(sent).toEqual([{ msg: 'send_data' }]);
    expect(ahead.expecting('j1')).toBe(true);

    ahead.received('j1', ['hi']);
    expect(stashes).toEqual([['j1', ['hi']]]);
    expect(ahead.expecting('j1')).toBe(false);
    // Picked (here or by a claimer that found no stash): answered with the data in hand, not asked again.
    sink.send({ msg: 'send_data' });
    await vi.waitFor(() => expect(answers).toEqual([['j1', ['hi']]]));
    expect(sent).toEqual([{ msg: 'send_data' }]);
    sink.close(1000, 'success');
    expect(ahead.size).toBe(0);
  });

  it('stashes data that came with the join as soon as the job is near the front, asking no one', () => {
    const { ahead, stashes, sent, inner } = setUp();
    const sink = ahead.wrap(inner, ['given']);
    sink.bind('j2');
    ahead.due(['j2']);
    ahead.due(['j2']);
    expect(stashes).toEqual([['j2', ['given']]]);
    expect(sent).toEqual([]);
  });

  it('asks once: a pick while the early ask is unanswered waits for it; a pick before the front is passed on', () => {
    const { ahead, answers, sent, inner } = setUp();
    const early = ahead.wrap(inner, undefined);
    early.bind('j3');
    early.estimate!(ESTIMATION);
    ahead.due(['j3']);
    early.send({ msg: 'send_data' });
    expect(sent).toEqual([{ msg: 'send_data' }]);
    expect(answers).toEqual([]);

    const picked = ahead.wrap(inner, undefined);
    picked.bind('j4');
    picked.estimate!(ESTIMATION);
    picked.send({ msg: 'send_data' });
    ahead.due(['j4']);
    expect(sent).toEqual([{ msg: 'send_data' }, { msg: 'send_data' }]);
    ahead.forget('j3');
    ahead.forget('j4');
    expect(ahead.size).toBe(0);
  });
});
