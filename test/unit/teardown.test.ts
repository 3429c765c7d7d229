import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { TeardownStack } from '../../harness/runtime/teardown.ts';

describe('TeardownStack', () => {
  it('undoes last in, first out, goes on past a failure and reports each undo with its time', async () => {
    const stack = new TeardownStack();
    const done: string[] = [];
    stack.defer('namespace', async () => void done.push('namespace'));
    stack.defer('watchers', async () => {
      await delay(30);
      throw new Error('stream already closed');
    });
    stack.defer('fault', async () => void done.push('fault'));
    const heard: { name: string; error?: string; durationMs: number }[] = [];
    const failures = await stack.run((name, error, durationMs) =>
      heard.push({ name, ...(error ? { error: String(error) } : {}), durationMs }),
    );
    assert.deepEqual(done, ['fault', 'namespace']);
    assert.deepEqual(
      heard.map((h) => [h.name, h.error]),
      [
        ['fault', undefined],
        ['watchers', 'Error: stream already closed'],
        ['namespace', undefined],
      ],
    );
    assert.ok((heard[1]?.durationMs ?? 0) >= 25, `watchers took ${heard[1]?.durationMs} ms`);
    assert.deepEqual(
      failures.map((f) => f.name),
      ['watchers'],
    );
  });

  it('runs once: a second run returns the first result and undoes nothing again', async () => {
    const stack = new TeardownStack();
    let undone = 0;
    stack.defer('x', async () => void undone++);
    const [first, second] = await Promise.all([stack.run(), stack.run()]);
    assert.equal(undone, 1);
    assert.equal(first, second);
    assert.throws(() => stack.defer('late', async () => undefined), /teardown already ran/);
  });

  it('forgets a released undo', async () => {
    const stack = new TeardownStack();
    const done: string[] = [];
    stack.defer('cluster', async () => void done.push('cluster'));
    stack.defer('kept', async () => void done.push('kept'));
    stack.release('cluster');
    assert.equal(stack.size, 1);
    await stack.run();
    assert.deepEqual(done, ['kept']);
  });
});
