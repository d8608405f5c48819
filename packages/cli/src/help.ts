/** `crowdserve --help`: written to read like the README's "Command line" section. */
export const HELP = `crowdserve — Gradio's queue in front of an ONNX model or your own functions

Usage:
  crowdserve serve <model.onnx> [options]   a queue in front of the model, its inputs read from the model
  crowdserve serve <app.js> [options]       a queue in front of the endpoints the module exports
  crowdserve --help | --version

The server speaks Gradio's API (GET /config, /info; WS /queue/join; POST /run/<name>; sse_v3 under
/gradio_api), so @crowdserve/client and @gradio/client both connect to the URL it prints. The URL
itself shows a page to try each endpoint from a browser (or yours, with --static-dir).

  model.onnx  served as /predict: one data entry per model input, in the model's order, each a nested
              array of the input's shape (batch axis included), e.g. [[[1, 2, 3]]]; the outputs come back
              the same way. Runs in worker threads, one per --concurrency slot (onnxruntime-node when
              installed, else onnxruntime-web's WASM). Needs @crowdserve/onnx (installed with crowdserve
              unless optional dependencies were left out).
  app.js      an ES module with \`export const endpoints = { '/predict': { fn: async ([text]) => [text] } }\`
              (or the same object as its default export): what serve({ endpoints }) takes.

Options:
  -p, --port <n>            port to listen on; 0 picks a free one (the URL printed tells)   [7860]
      --host <name>         interface to bind; 0.0.0.0 for every interface                  [127.0.0.1]
  -c, --concurrency <n>     job slots that run at once (Gradio's concurrency_count)         [1]
      --max-size <n>        most waiting jobs; past it a join gets queue_full (max_size)    [unbounded]
      --batch               model: stack waiting requests along axis 0 into one run         [off]
      --max-batch-size <n>  most requests in one batch (model: with --batch, default 4;
                            app: replaces the maxBatchSize of the endpoints that batch)
      --redis <url>         share one queue with every process started with the same URL
                            (redis://host:port): one FIFO line, a global --max-size         [off]
      --static-dir <dir>    serve your own built page at / instead of the built-in one
                            (a panel per endpoint: inputs, Run, live queue status, Cancel)
  -h, --help                this text
  -v, --version             the version

SIGTERM or Ctrl-C closes gracefully: new joins are refused, running jobs finish, then exit 0.
Exit codes: 0 closed cleanly, 1 could not start, 2 bad arguments.
`;
