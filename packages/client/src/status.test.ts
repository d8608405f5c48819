import type { ServerMessage } from '@crowdserve/protocol';
import { describe, expect, it } from 'vitest';
import { ServerError } from './errors.js';
import { isTerminal } from './status.js';
import { toStatus } from './to-status.js';

const NOW = 1_700_000_000_000;

describe('toStatus', () => {
  it('maps an estimation to queued, anchoring etaAt at receipt', () => {
    const message: ServerMessage = {
      msg: 'estimation',
      rank: 3,
      queue_size: 7,
      avg_event_process_time: 0.5,
      avg_event_concurrent_process_time: 0.5,
      rank_eta: 2.25,
      queue_eta: 4,
    };
    expect(toStatus(message, NOW)).toEqual({ type: 'queued', position: 3, queueSize: 7, eta: 2.25, etaAt: NOW + 2250 });
  });

  it('leaves etaAt null without an eta', () => {
    const message: ServerMessage = {
      msg: 'estimation',
      rank: 0,
      queue_size: 1,
      avg_event_process_time: null,
      avg_event_concurrent_process_time: null,
      rank_eta: null,
      queue_eta: 0,
    };
    expect(toStatus(message, NOW)).toEqual({ type: 'queued', position: 0, queueSize: 1, eta: null, etaAt: null });
  });

  it('has no status for a queue-wide estimation (rank null)', () => {
    const message: ServerMessage = {
      msg: 'estimation',
      rank: null,
      queue_size: 1,
      avg_event_process_time: null,
      avg_event_concurrent_process_time: null,
      rank_eta: null,
      queue_eta: 0,
    };
    expect(toStatus(message, NOW)).toBeNull();
  });

  it.each<ServerMessage>([
    { msg: 'send_hash' },
    { msg: 'send_data' },
    { msg: 'queue_full', queue_size: 1, max_size: 1 },
  ])('has no status for the conversation message %j', (message) => {
    expect(toStatus(message, NOW)).toBeNull();
  });

  it('maps process_starts to running, with or without eta', () => {
    expect(toStatus({ msg: 'process_starts', eta: 1.5 }, NOW)).toEqual({ type: 'running', eta: 1.5 });
    expect(toStatus({ msg: 'process_starts' }, NOW)).toEqual({ type: 'running', eta: null });
  });

  it('maps progress to progress', () => {
    const unit = { index: 2, length: 10, unit: 'steps', progress: null, desc: 'denoising' };
    expect(toStatus({ msg: 'progress', progress_data: [unit] }, NOW)).toEqual({ type: 'progress', progress: [unit] });
  });

  it('maps process_generating to partial', () => {
    const message: ServerMessage = {
      msg: 'process_generating',
      output: { data: ['par'], is_generating: true },
      success: true,
    };
    expect(toStatus(message, NOW)).toEqual({ type: 'partial', data: ['par'] });
  });

  it('maps a successful process_completed to done', () => {
    const message: ServerMessage = {
      msg: 'process_completed',
      output: { data: ['A'], is_generating: false, duration: 0.25, average_duration: 0.3 },
      success: true,
    };
    const status = toStatus(message, NOW);
    expect(status).toEqual({ type: 'done', data: ['A'], duration: 0.25 });
    expect(status && isTerminal(status)).toBe(true);
  });

  it("maps a failed process_completed to failed with a SERVER_ERROR carrying the server's text", () => {
    const status = toStatus({ msg: 'process_completed', output: { error: 'boom' }, success: false }, NOW);
    expect(status?.type).toBe('failed');
    if (status?.type !== 'failed') return;
    expect(status.error).toBeInstanceOf(ServerError);
    expect(status.error.code).toBe('SERVER_ERROR');
    expect(status.error.message).toBe('boom');
    expect(isTerminal(status)).toBe(true);
  });

  it('calls only done and failed terminal', () => {
    expect(isTerminal({ type: 'running', eta: null })).toBe(false);
    expect(isTerminal({ type: 'retrying', attempt: 2, delayMs: 1, reason: 'connection' })).toBe(false);
    expect(isTerminal({ type: 'partial', data: [] })).toBe(false);
  });
});
