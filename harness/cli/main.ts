/**
 * The process edge: the only place that reads process.argv and process.env, writes to the real
 * streams, handles signals and sets the exit code. Everything else is in run().
 *
 * The first SIGINT/SIGTERM aborts the run's signal, so commands stop what they started and clean up;
 * a second one exits at once (128 + signal number).
 */
import { enableCompileCache } from 'node:module';
import { join } from 'node:path';
import { pathsFor } from '../adapters/paths.ts';

// V8's code cache for probelab's modules and its dependencies (@kubernetes/client-node alone is 25 MB of
// JavaScript): starting a command then costs about half the CPU (0.9 s instead of 1.6 s to load `run`).
// Enabled before the rest is imported, so it covers them; a cache that cannot be used is ignored by Node.
enableCompileCache(
  join(pathsFor(join(import.meta.dirname, '..', '..'), process.env).cache, 'node-compile-cache'),
);
const { run } = await import('./run.ts');
const { EXIT } = await import('./io.ts');

const controller = new AbortController();
let received: NodeJS.Signals | undefined;
const onSignal = (signal: NodeJS.Signals) => {
  if (received) {
    process.stderr.write(
      `\n${signal} again: exiting without finishing cleanup; remove what is left with \`npm run probelab -- clean\`\n`,
    );
    process.exit(EXIT.abortedDirty);
  }
  received = signal;
  process.stderr.write(`\n${signal}: stopping and cleaning up (send it again to exit at once)\n`);
  controller.abort(new Error(`interrupted by ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
  signal: controller.signal,
});
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
// An interrupted command exits with the signal's code, unless it reports that its cleanup did not finish.
process.exitCode =
  received && code !== EXIT.abortedDirty ? (received === 'SIGINT' ? EXIT.sigint : EXIT.sigterm) : code;
