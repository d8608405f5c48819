import { defineConfig } from 'vite';

// Cross-origin isolation (multi-threaded WASM, fine timers): the Node server sends these headers
// for the built page; the dev server must send them too, or the page behaves differently there.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // Relative asset URLs: the page works from any path the server mounts it at.
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  worker: { format: 'es' },
  server: {
    headers: isolation,
    // `vite` (dev) serves the page; the queue server (`npm start`, port 7860) answers the API.
    proxy: Object.fromEntries(
      ['/config', '/info', '/queue', '/metrics', '/healthz', '/run', '/api'].map((path) => [
        path,
        { target: 'http://127.0.0.1:7860', ws: path === '/queue' },
      ]),
    ),
  },
  preview: { headers: isolation },
});
