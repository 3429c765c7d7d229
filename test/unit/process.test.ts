/** The process wrapper against real processes: exit codes, output, timeouts, abort and the process group. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CommandError, runCommand, shellQuote } from '../../harness/adapters/process.ts';

/** alive: the process exists and is not a zombie waiting for a parent that does not reap. */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function rejection(promise: Promise<unknown>): Promise<CommandError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof CommandError, String(err));
    return err;
  }
  assert.fail('expected a CommandError');
}

describe('runCommand', () => {
  it('returns output and exit code', async () => {
    const r = await runCommand('sh', ['-c', 'echo out; echo err >&2']);
    assert.deepEqual([r.stdout, r.stderr, r.exitCode], ['out\n', 'err\n', 0]);
  });

  it('throws on a non-zero exit with the command and its output in the message', async () => {
    const err = await rejection(runCommand('sh', ['-c', 'echo boom >&2; exit 3']));
    assert.equal(err.reason, 'failed');
    assert.equal(err.exitCode, 3);
    assert.match(
      err.message,
      /^command failed with exit code 3 after [\d.]+s: sh -c 'echo boom >&2; exit 3'\nstderr:\nboom$/,
    );
  });

  it('accepts allowed exit codes as answers', async () => {
    assert.equal((await runCommand('sh', ['-c', 'exit 1'], { allowExitCodes: [1] })).exitCode, 1);
  });

  it('reports a missing program as not-found', async () => {
    assert.equal((await rejection(runCommand('probelab-no-such-program', []))).reason, 'not-found');
  });

  it('stops the whole process group on timeout, children included', async () => {
    const lines: string[] = [];
    const err = await rejection(
      runCommand('sh', ['-c', 'sleep 30 & echo $!; wait'], {
        timeoutMs: 500,
        killGraceMs: 500,
        onStdoutLine: (l) => lines.push(l),
      }),
    );
    assert.equal(err.reason, 'timeout');
    const child = Number(lines[0]);
    assert.ok(child > 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(alive(child), false, 'the background child is gone');
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const started = Date.now();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const err = await rejection(
      runCommand('sh', ['-c', "trap '' TERM; sleep 30"], { signal: controller.signal, killGraceMs: 300 }),
    );
    assert.equal(err.reason, 'canceled');
    assert.ok(Date.now() - started < 5_000);
  });

  it('refuses to start when already aborted', async () => {
    assert.equal(
      (await rejection(runCommand('true', [], { signal: AbortSignal.abort() }))).reason,
      'canceled',
    );
  });

  it('passes input on stdin and environment additions', async () => {
    const r = await runCommand('sh', ['-c', 'cat; echo "$PROBELAB_X"'], {
      input: 'in\n',
      env: { PROBELAB_X: 'x' },
    });
    assert.equal(r.stdout, 'in\nx\n');
  });

  it('quotes commands for pasting into a shell', () => {
    assert.equal(
      shellQuote(['kubectl', 'get', 'pods', '-l', 'a=b', "it's"]),
      `kubectl get pods -l a=b 'it'\\''s'`,
    );
  });
});
