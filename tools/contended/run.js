#!/usr/bin/env node
// Runs a command while every CPU core is kept busy by a spinning process, so the e2e suite is shown to
// pass on a loaded machine, not only on a quiet one (issue 21.12). Usage: node tools/contended/run.js <cmd> [args…]
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  console.error('usage: node tools/contended/run.js <command> [args…]');
  process.exit(2);
}

// One busy loop per core, at normal priority: the suite competes for every core the whole time.
const spinners = Array.from({ length: availableParallelism() }, () =>
  spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
);
const stopSpinners = () => {
  for (const spinner of spinners) spinner.kill('SIGKILL');
};
process.on('exit', stopSpinners);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopSpinners();
    process.exit(130);
  });
}

console.log(`running under load: ${spinners.length} spinning processes beside \`${[command, ...args].join(' ')}\``);
const child = spawn(command, args, { stdio: 'inherit' });
child.on('exit', (code, signal) => {
  stopSpinners();
  process.exit(code ?? (signal === null ? 1 : 1));
});
