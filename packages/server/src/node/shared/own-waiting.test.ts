import { describe, expect, it } from 'vitest';
import { OwnWaiting } from './own-waiting.js';

const job = (id: string, owner: string, ticket: number) => ({ id, fnIndex: 0, owner, ticket });

describe('OwnWaiting', () => {
  it("keeps this process's waiting jobs in ticket order and the highest ticket of anyone's", () => {
    const own = new OwnWaiting('me');
    own.reset([job('a', 'me', 3), job('b', 'other', 5), job('c', 'me', 1)]);
    expect(own.inTicketOrder().map((j) => j.id)).toEqual(['c', 'a']);
    expect(own.seenTicket).toBe(5);

    own.track({ type: 'join', job: job('d', 'other', 9) });
    own.track({ type: 'join', job: job('e', 'me', 7) });
    own.track({ type: 'claim', id: 'c', claimer: 'other' });
    own.track({ type: 'leave', id: 'a' });
    expect(own.inTicketOrder().map((j) => j.id)).toEqual(['e']);
    expect(own.seenTicket).toBe(9);

    // A resync starts over; the highest ticket seen never goes back.
    own.reset([job('f', 'me', 2)]);
    expect(own.inTicketOrder().map((j) => j.id)).toEqual(['f']);
    expect(own.seenTicket).toBe(9);
  });
});
