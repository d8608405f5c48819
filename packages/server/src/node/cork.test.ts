import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { corkForTick } from './cork.js';

/** A duplex that records each hand-over to the "kernel": one entry per write or writev. */
function recordingSocket() {
  const handed: string[][] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      handed.push([chunk.toString()]);
      callback();
    },
    writev(chunks, callback) {
      handed.push(chunks.map(({ chunk }) => (chunk as Buffer).toString()));
      callback();
    },
  });
  return { socket, handed };
}

describe('corkForTick', () => {
  it('hands the frames of one tick over together, once the tick ends', async () => {
    const { socket, handed } = recordingSocket();
    corkForTick(socket);
    socket.write('a');
    corkForTick(socket);
    socket.write('b');
    expect(handed).toEqual([]);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(handed).toEqual([['a', 'b']]);
    socket.write('c');
    expect(handed).toEqual([['a', 'b'], ['c']]);
  });

  it('nests with a cork of the writer itself (ws corks inside send)', async () => {
    const { socket, handed } = recordingSocket();
    corkForTick(socket);
    socket.cork();
    socket.write('header');
    socket.write('payload');
    socket.uncork();
    socket.write('close');
    expect(handed).toEqual([]);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(handed).toEqual([['header', 'payload', 'close']]);
  });

  it('leaves a socket destroyed meanwhile alone', async () => {
    const { socket, handed } = recordingSocket();
    corkForTick(socket);
    socket.write('lost');
    socket.destroy();
    await new Promise((resolve) => process.nextTick(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(handed).toEqual([]);
    expect(socket.destroyed).toBe(true);
  });
});
