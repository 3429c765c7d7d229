/** Live progress: the snapshot (pure), its renderings, and how the CLI picks a display. */
import assert from 'node:assert/strict';
import { fit, progressDisplay, PLAIN_EVERY } from '../../harness/cli/progress.ts';
import type { IO } from '../../harness/cli/io.ts';
import type { LiveCounters } from '../../harness/core/load/series.ts';
import type { StageWindow } from '../../harness/core/load-shape.ts';
import type { ObjectRecord } from '../../harness/core/observations.ts';
import {
  formatProgress,
  formatProgressPlain,
  progressSnapshot,
  updateReplicas,
  type ProgressSnapshot,
  type ReplicaState,
} from '../../harness/core/progress.ts';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const stages: StageWindow[] = [
  { index: 0, rps: 10, startMs: 0, holdStartMs: 0, endMs: 30_000 },
  { index: 1, rps: 50, startMs: 30_000, holdStartMs: 40_000, endMs: 90_000 },
];
const live = (requests: number, failed = 0): LiveCounters[] => [
  { variant: 'web', requests, failed, droppedIterations: 0, lastPointUs: undefined },
];

describe('progress: snapshot', () => {
  const cases: {
    name: string;
    atS: number;
    target: number;
    ramping: boolean;
    step: number;
    remaining: number;
  }[] = [
    { name: 'holding the first step', atS: 10, target: 10, ramping: false, step: 0, remaining: 80_000 },
    { name: 'half way up the ramp to 50', atS: 35, target: 30, ramping: true, step: 1, remaining: 55_000 },
    { name: 'holding the second step', atS: 60, target: 50, ramping: false, step: 1, remaining: 30_000 },
    { name: 'after the end', atS: 95, target: 50, ramping: false, step: 1, remaining: 0 },
  ];
  for (const c of cases)
    it(c.name, () => {
      const s = progressSnapshot({
        nowMs: T0 + c.atS * 1000,
        loadStartMs: T0,
        stages,
        live: live(100),
        replicas: [],
        chaosActive: [],
      });
      assert.deepEqual(
        [s.step.index, s.step.targetRps, s.step.ramping, s.remainingMs],
        [c.step, c.target, c.ramping, c.remaining],
      );
    });

  it('achieved rate is the requests of the last interval; none on the first snapshot', () => {
    const first = progressSnapshot({
      nowMs: T0 + 1_000,
      loadStartMs: T0,
      stages,
      live: live(8),
      replicas: [],
      chaosActive: [],
    });
    assert.equal(first.variants[0]?.achievedRps, undefined);
    const next = progressSnapshot({
      nowMs: T0 + 3_000,
      loadStartMs: T0,
      stages,
      live: live(28, 2),
      previous: { atMs: T0 + 1_000, live: live(8) },
      replicas: [],
      chaosActive: ['pod-kill at 5s (web)'],
    });
    assert.equal(next.variants[0]?.achievedRps, 10);
    assert.equal(next.variants[0]?.errors, 2);
    assert.deepEqual(next.chaosActive, ['pod-kill at 5s (web)']);
  });
});

describe('progress: replicas from watch records', () => {
  const record = (kind: ObjectRecord['kind'], object: unknown): ObjectRecord =>
    ({ seq: 0, kind, type: 'MODIFIED', arrivalMs: T0, monoMs: 0, object }) as ObjectRecord;
  const deployment = (replicas: number, current: number, ready: number) =>
    record('Deployment', {
      metadata: { name: 'web', uid: 'd', resourceVersion: '1' },
      spec: { replicas },
      status: { replicas: current, readyReplicas: ready },
    });
  const hpa = (desired: number) =>
    record('HorizontalPodAutoscaler', {
      metadata: { name: 'web', uid: 'h', resourceVersion: '1' },
      spec: { minReplicas: 1, maxReplicas: 5, scaleTargetRef: { kind: 'Deployment', name: 'web' } },
      status: { desiredReplicas: desired },
    });

  it('without an HPA, desired is the Deployment’s spec.replicas', () => {
    const state = new Map<string, ReplicaState>();
    updateReplicas(state, [deployment(3, 2, 1)]);
    assert.deepEqual(state.get('web'), { variant: 'web', current: 2, ready: 1, desired: 3 });
  });

  it('with an HPA, desired is the HPA’s, and its first 0 (not computed yet) is ignored', () => {
    const state = new Map<string, ReplicaState>();
    updateReplicas(state, [hpa(0), deployment(1, 1, 1)]);
    assert.equal(state.get('web')?.desired, undefined);
    updateReplicas(state, [hpa(4), deployment(4, 2, 1)]);
    assert.deepEqual(
      [state.get('web')?.desired, state.get('web')?.current, state.get('web')?.ready],
      [4, 2, 1],
    );
  });
});

describe('progress: renderings', () => {
  const snapshot: ProgressSnapshot = {
    atMs: T0 + 65_000,
    elapsedMs: 65_000,
    remainingMs: 25_000,
    step: { index: 1, count: 2, targetRps: 50, ramping: false },
    variants: [
      {
        variant: 'web',
        requests: 900,
        errors: 3,
        dropped: 0,
        achievedRps: 49.5,
        desired: 4,
        current: 3,
        ready: 2,
      },
    ],
    chaosActive: ['cpu-stress at 50s (web)'],
  };

  it('one line: time, step, rate, pods ready/current/desired, errors, chaos', () => {
    assert.equal(
      formatProgress(snapshot, { color: false }),
      '1:05 / 1:30 step 2/2 → 50 rps | web 50 rps pods 2/3/4 err 3 | chaos: cpu-stress at 50s (web)',
    );
  });

  it('colour only when asked', () => {
    assert.match(formatProgress(snapshot, { color: true }), /\x1b\[31m err 3\x1b\[0m/);
    assert.doesNotMatch(formatProgress(snapshot, { color: false }), /\x1b/);
  });

  it('a plain line carries its timestamp', () => {
    assert.match(formatProgressPlain(snapshot), /^2026-11-23T10:01:05.000Z progress 1:05 \/ 1:30 /);
  });

  it('fit cuts to the terminal width counting visible characters only', () => {
    assert.equal(fit('abcdefgh', 5), 'abcd…');
    assert.equal(fit('\x1b[1mabcdefgh\x1b[0m', 5), '\x1b[1mabcd…\x1b[0m');
    assert.equal(fit('abc', 5), 'abc');
  });
});

describe('progress: display chosen by the CLI', () => {
  const ioWith = (isTTY: boolean, env: Record<string, string> = {}) => {
    const out = { stdout: '', stderr: '' };
    const io: IO = {
      stdout: { write: (t) => void (out.stdout += t) },
      stderr: { write: (t) => void (out.stderr += t), isTTY, columns: 200 },
      cwd: '/',
      env,
      signal: new AbortController().signal,
    };
    return { io, out };
  };
  const snap = (atS: number): ProgressSnapshot => ({
    atMs: T0 + atS * 1000,
    elapsedMs: atS * 1000,
    remainingMs: 0,
    step: { index: 0, count: 1, targetRps: 10, ramping: false },
    variants: [{ variant: 'web', requests: atS * 10, errors: 0, dropped: 0 }],
    chaosActive: [],
  });

  it('--output json: JSON lines on stdout', () => {
    const { io, out } = ioWith(true);
    const d = progressDisplay(io, { progress: true, output: 'json' });
    d.onSnapshot?.(snap(1));
    assert.equal(JSON.parse(out.stdout).type, 'progress');
    assert.equal(out.stderr, '');
  });

  it('not a terminal (or CI): a plain line every 10 snapshots', () => {
    const { io, out } = ioWith(false);
    const d = progressDisplay(io, { progress: true, output: 'text' });
    for (let i = 0; i < 2 * PLAIN_EVERY + 1; i++) d.onSnapshot?.(snap(i));
    assert.equal(out.stderr.trim().split('\n').length, 3);
    const ci = ioWith(true, { CI: 'true' });
    progressDisplay(ci.io, { progress: true, output: 'text' }).onSnapshot?.(snap(0));
    assert.doesNotMatch(ci.out.stderr, /\r/);
  });

  it('a terminal: redrawn in place, other lines printed above it, removed at the end; NO_COLOR honoured', () => {
    const { io, out } = ioWith(true, { NO_COLOR: '1' });
    const d = progressDisplay(io, { progress: true, output: 'text' });
    d.onSnapshot?.(snap(1));
    d.out.write('✓ a step line\n');
    d.onSnapshot?.(snap(2));
    d.done();
    assert.equal(
      out.stderr,
      '0:01 / 0:01 step 1/1 → 10 rps | web … rps err 0' +
        '\r\x1b[2K✓ a step line\n0:01 / 0:01 step 1/1 → 10 rps | web … rps err 0' +
        '\r\x1b[2K0:02 / 0:02 step 1/1 → 10 rps | web … rps err 0' +
        '\r\x1b[2K',
    );
  });

  it('--no-progress: nothing', () => {
    const { io, out } = ioWith(true);
    const d = progressDisplay(io, { progress: false, output: 'text' });
    assert.equal(d.onSnapshot, undefined);
    d.done();
    assert.equal(out.stderr, '');
  });
});
