import { describe, expect, it } from 'vitest';
import { parseRelayBody, RelaySink, type RelayBody } from './relay.js';

describe('RelaySink', () => {
  function sink() {
    const sent: { to: string; body: RelayBody }[] = [];
    let ended = 0;
    const relay = new RelaySink(
      'owner-1',
      'p.7',
      (to, body) => sent.push({ to, body }),
      () => (ended += 1),
    );
    return { relay, sent, ended: () => ended };
  }

  it("sends the client's messages, a refusal and the close to the job's owner", () => {
    const { relay, sent, ended } = sink();
    relay.send({ msg: 'send_data' });
    relay.refused('bad input');
    relay.close(1000, 'success');
    expect(sent).toEqual([
      { to: 'owner-1', body: { t: 'send', id: 'p.7', message: { msg: 'send_data' } } },
      { to: 'owner-1', body: { t: 'refused', id: 'p.7', error: 'bad input' } },
      { to: 'owner-1', body: { t: 'close', id: 'p.7', code: 1000, reason: 'success' } },
    ]);
    expect(ended()).toBe(1);
  });

  it('drops estimates (the owner tells its client from its own line), and everything once silenced or closed', () => {
    const { relay, sent } = sink();
    relay.estimate();
    relay.silence();
    relay.send({ msg: 'process_starts' });
    relay.close(1000, 'cancelled');
    expect(sent).toEqual([]);

    const other = sink();
    other.relay.close(1000, 'success');
    other.relay.send({ msg: 'process_starts' });
    expect(other.sent).toHaveLength(1);
  });
});

describe('parseRelayBody', () => {
  it('takes the five kinds with a job id, and nothing else', () => {
    expect(parseRelayBody({ t: 'cancel', id: 'a.1' })).toEqual({ t: 'cancel', id: 'a.1' });
    expect(parseRelayBody({ t: 'data', id: 'a.1', data: [1] })).toEqual({ t: 'data', id: 'a.1', data: [1] });
    for (const bad of [null, 'x', [], { t: 'nope', id: 'a' }, { t: 'cancel' }, { t: 'cancel', id: 3 }]) {
      expect(parseRelayBody(bad)).toBeNull();
    }
  });
});
