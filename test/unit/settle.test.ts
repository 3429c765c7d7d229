import assert from 'node:assert/strict';
import type { TrimmedWorkload } from '../../harness/core/observations.ts';
import { rolloutComplete, settleState } from '../../harness/core/settle.ts';
import { pod } from './metrics-builders.ts';

function deployment(
  name: string,
  replicas: number,
  status: TrimmedWorkload['status'],
  generation = 1,
): TrimmedWorkload {
  return {
    metadata: { name, uid: `uid-${name}`, resourceVersion: '1', generation },
    spec: { replicas },
    status,
  };
}

const running = (name: string, variant: string, extra: Partial<Parameters<typeof pod>[0]> = {}) =>
  pod({ name, variant, created: 0, ready: 2, containers: [{ runningSince: 1 }], ...extra }, '1');

describe('settleState', () => {
  const cases: {
    name: string;
    deployments: TrimmedWorkload[];
    pods: ReturnType<typeof pod>[];
    expiredAfterMs?: number;
    want: { available: string[]; failing: string[]; pending: string[] };
  }[] = [
    {
      name: 'available when availableReplicas reaches spec.replicas',
      deployments: [deployment('web', 2, { availableReplicas: 2 })],
      pods: [running('web-a', 'web'), running('web-b', 'web')],
      want: { available: ['web'], failing: [], pending: [] },
    },
    {
      name: 'pending while pods start',
      deployments: [deployment('web', 2, { availableReplicas: 1 })],
      pods: [running('web-a', 'web'), pod({ name: 'web-b', variant: 'web', created: 0 }, '1')],
      want: { available: [], failing: [], pending: ['web'] },
    },
    {
      name: 'failing on CrashLoopBackOff, with the container named',
      deployments: [deployment('web', 1, { availableReplicas: 0 })],
      pods: [
        pod(
          {
            name: 'web-a',
            variant: 'web',
            created: 0,
            containers: [{ waiting: 'CrashLoopBackOff', restartCount: 1 }],
          },
          '1',
        ),
      ],
      want: { available: [], failing: ['web: container app: CrashLoopBackOff, 1 restart(s)'], pending: [] },
    },
    {
      name: 'failing after two restarts even while running',
      deployments: [deployment('web', 1, { availableReplicas: 0 })],
      pods: [
        running('web-a', 'web', { ready: undefined, containers: [{ runningSince: 5, restartCount: 2 }] }),
      ],
      want: { available: [], failing: ['web: container app: restarting, 2 restart(s)'], pending: [] },
    },
    {
      name: "another variant's failing pod does not count",
      deployments: [
        deployment('web', 1, { availableReplicas: 0 }),
        deployment('api', 1, { availableReplicas: 1 }),
      ],
      pods: [
        pod(
          { name: 'api-a', variant: 'api', created: 0, containers: [{ waiting: 'CrashLoopBackOff' }] },
          '1',
        ),
      ],
      want: { available: ['api'], failing: [], pending: ['web'] },
    },
    {
      name: 'past the timeout, pending becomes failing',
      deployments: [deployment('web', 2, { availableReplicas: 1 })],
      pods: [running('web-a', 'web')],
      expiredAfterMs: 180_000,
      want: { available: [], failing: ['web: not available after 180s'], pending: [] },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const state = settleState(c.deployments, c.pods, c.expiredAfterMs);
      assert.deepEqual(
        {
          available: state.available,
          failing: state.failing.map((f) => `${f.name}: ${f.reason}`),
          pending: state.pending,
        },
        c.want,
      );
    });
});

describe('rolloutComplete', () => {
  const done = { observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2, replicas: 2 };
  const cases: {
    name: string;
    deployment: TrimmedWorkload | undefined;
    pods: ReturnType<typeof pod>[];
    want: boolean;
  }[] = [
    {
      name: 'complete: status current and only the new pods left',
      deployment: deployment('web', 2, done, 2),
      pods: [running('web-new-a', 'web'), running('web-new-b', 'web'), running('api-a', 'api')],
      want: true,
    },
    {
      name: 'not while an old pod is still terminating',
      deployment: deployment('web', 2, done, 2),
      pods: [
        running('web-new-a', 'web'),
        running('web-new-b', 'web'),
        running('web-old', 'web', { deleting: 30 }),
      ],
      want: false,
    },
    {
      name: 'not before the controller observed the new generation',
      deployment: deployment('web', 2, { ...done, observedGeneration: 1 }, 2),
      pods: [running('web-a', 'web'), running('web-b', 'web')],
      want: false,
    },
    {
      name: 'not while a replica is not updated',
      deployment: deployment('web', 2, { ...done, updatedReplicas: 1 }, 2),
      pods: [running('web-a', 'web'), running('web-b', 'web')],
      want: false,
    },
    { name: 'not for a deployment the watch has not seen', deployment: undefined, pods: [], want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(rolloutComplete(c.deployment, c.pods), c.want));
});
