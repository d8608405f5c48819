// @ts-check
import { WebSocket } from 'ws';

/**
 * One Gradio-3 job over its own socket; resolves with its latency in ms.
 * @param {string} url server URL (http://…)
 * @param {unknown[]} data
 */
export function runJob(url, data) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/queue/join`, { perMessageDeflate: false });
    let done = false;
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      if (m.msg === 'send_hash') ws.send(JSON.stringify({ fn_index: 0, session_hash: 'bench' }));
      else if (m.msg === 'send_data')
        ws.send(JSON.stringify({ data, event_data: null, fn_index: 0, session_hash: 'bench' }));
      else if (m.msg === 'process_completed') {
        done = true;
        if (m.success) resolve(performance.now() - started);
        else reject(new Error(m.output.error));
      } else if (m.msg === 'queue_full') {
        done = true;
        reject(new Error('queue_full'));
      }
    });
    ws.on('error', reject);
    ws.on('close', () => {
      if (!done) reject(new Error('closed without a terminal message'));
    });
  });
}
