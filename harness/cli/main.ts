/**
 * The process edge: the only place that reads process.argv and process.env, writes to the real
 * streams and sets the exit code. Everything else is in run().
 */
import { run } from './run.ts';

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
});
process.exitCode = code;
