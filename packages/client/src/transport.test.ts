import { describe, expect, it, vi } from 'vitest';
import { webSocketDuplex, type DuplexCloseEvent, type WebSocketLike } from './transport.js';

function fakeSocket() {
  const socket: WebSocketLike & { sent: string[]; closedWith: number[] } = {
    sent: [],
    closedWith: [],
    send(text) {
      this.sent.push(text);
    },
    close(code) {
      this.closedWith.push(code ?? 1005);
    },
    onmessage: null,
    onclose: null,
    onerror: null,
  };
  return socket;
}

describe('webSocketDuplex', () => {
  it('passes text frames and the close through, and skips binary frames', () => {
    const socket = fakeSocket();
    const duplex = webSocketDuplex(socket);
    const messages: string[] = [];
    const closes: DuplexCloseEvent[] = [];
    duplex.onmessage = (text) => messages.push(text);
    duplex.onclose = (event) => closes.push(event);
    socket.onmessage?.({ data: '{"msg":"send_hash"}' });
    socket.onmessage?.({ data: new ArrayBuffer(4) });
    socket.onclose?.({ code: 1006, reason: 'gone' });
    expect(messages).toEqual(['{"msg":"send_hash"}']);
    expect(closes).toEqual([{ code: 1006, reason: 'gone' }]);
  });

  it('sends text and closes with 1000 (cancel on this protocol)', () => {
    const socket = fakeSocket();
    const duplex = webSocketDuplex(socket);
    duplex.send('{"fn_index":0,"session_hash":"s"}');
    duplex.close();
    expect(socket.sent).toEqual(['{"fn_index":0,"session_hash":"s"}']);
    expect(socket.closedWith).toEqual([1000]);
  });

  it('listens for errors, so ws does not throw on an unheard one; the close that follows reports it', () => {
    const socket = fakeSocket();
    const duplex = webSocketDuplex(socket);
    const onclose = vi.fn();
    duplex.onclose = onclose;
    expect(typeof socket.onerror).toBe('function');
    expect(() => socket.onerror?.(new Error('ECONNREFUSED'))).not.toThrow();
    expect(onclose).not.toHaveBeenCalled();
  });
});
