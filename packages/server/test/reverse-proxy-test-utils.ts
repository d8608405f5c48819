import { createServer, request, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ProxyOptions {
  /** Pass the client's `Host` on (nginx: `proxy_set_header Host $host`); else send the upstream's, as nginx does by default. */
  keepHost: boolean;
  /** Pass `Upgrade` and `Connection` on (nginx: `proxy_set_header Upgrade $http_upgrade` …); else drop them, as hop-by-hop headers. */
  forwardUpgrade: boolean;
}

export interface ReverseProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * A small reverse proxy in front of `upstream`, doing what nginx does with the settings named in
 * `ProxyOptions`: it adds `X-Forwarded-For` and `X-Forwarded-Proto: https` (as a TLS proxy would) and
 * connects to the upstream from its own address, so every client reaches the server as the proxy.
 */
export async function startReverseProxy(upstream: string, options: ProxyOptions): Promise<ReverseProxy> {
  const target = new URL(upstream);
  const headersFor = (headers: IncomingHttpHeaders, clientAddress: string | undefined): IncomingHttpHeaders => {
    const out: IncomingHttpHeaders = { ...headers };
    if (!options.keepHost) out.host = target.host;
    if (!options.forwardUpgrade) {
      delete out.upgrade;
      out.connection = 'close';
    }
    out['x-forwarded-for'] = clientAddress ?? '';
    out['x-forwarded-proto'] = 'https';
    return out;
  };
  const server: HttpServer = createServer((req, res) => {
    const upstreamRequest = request(target, {
      method: req.method,
      path: req.url,
      headers: headersFor(req.headers, req.socket.remoteAddress),
    });
    upstreamRequest.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstreamRequest.on('error', () => res.destroy());
    req.pipe(upstreamRequest);
  });
  server.on('upgrade', (req, socket, head) => {
    if (!options.forwardUpgrade) {
      // Without the Upgrade header passed on, the upstream sees a plain GET; relay its answer.
      const upstreamRequest = request(target, {
        method: req.method,
        path: req.url,
        headers: headersFor(req.headers, req.socket.remoteAddress),
      });
      upstreamRequest.on('response', (answer) => {
        socket.write(`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}\r\nConnection: close\r\n\r\n`);
        answer.resume();
        answer.on('end', () => socket.end());
      });
      upstreamRequest.on('error', () => socket.destroy());
      upstreamRequest.end();
      return;
    }
    const upstreamSocket = connect(Number(target.port), target.hostname, () => {
      const headers = headersFor(req.headers, req.socket.remoteAddress);
      const lines = Object.entries(headers).flatMap(([name, value]) =>
        (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${v ?? ''}`),
      );
      upstreamSocket.write(`${req.method} ${req.url} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
      upstreamSocket.write(head);
      upstreamSocket.pipe(socket).pipe(upstreamSocket);
    });
    const destroy = () => {
      socket.destroy();
      upstreamSocket.destroy();
    };
    upstreamSocket.on('error', destroy);
    socket.on('error', destroy);
    socket.on('close', destroy);
    upstreamSocket.on('close', destroy);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
