/**
 * Watchers: one list-then-watch loop per watched kind in one namespace, through @kubernetes/client-node's
 * Watch. Every change becomes an Observation (harness/core/observations.ts) stamped with its arrival time,
 * kept in memory for the metrics and appended to an NDJSON file within FLUSH_MS (a crash leaves the
 * evidence; the lines of one burst go in one write instead of a write each).
 *
 * Contract:
 * - A watch that ends normally (the server's timeoutSeconds) is resumed from the last resourceVersion seen
 *   (bookmarks included): nothing is lost and nothing is recorded.
 * - A watch that fails (stream error, HTTP error) is resumed the same way after a short pause and a `gap`
 *   marker records how long the stream was down.
 * - "410 Gone" (resource version too old) makes the loop relist: every object whose resourceVersion
 *   differs from the last one recorded is recorded as SYNCED, every object recorded but no longer listed
 *   gets a synthesized DELETED, and the gap is recorded. Transitions that happened and were overwritten
 *   inside a gap cannot be recovered by anyone; the gap marker is how the report knows.
 * - stop() ends every watch, flushes the file and returns what was seen; it never throws.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Watch } from '@kubernetes/client-node';
import type { Kube } from './kube.ts';
import {
  OBSERVATIONS_VERSION,
  serverTimeMs,
  trimObject,
  WATCHED_KINDS,
  type ObjectRecord,
  type Observation,
  type TrimmedObject,
  type TrimmedOf,
  type WatchMarker,
  type WatchedKind,
} from '../core/observations.ts';

const API: Record<WatchedKind, { apiVersion: string; path: string }> = {
  Pod: { apiVersion: 'v1', path: '/api/v1/namespaces/{ns}/pods' },
  Event: { apiVersion: 'v1', path: '/api/v1/namespaces/{ns}/events' },
  HorizontalPodAutoscaler: {
    apiVersion: 'autoscaling/v2',
    path: '/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers',
  },
  Deployment: { apiVersion: 'apps/v1', path: '/apis/apps/v1/namespaces/{ns}/deployments' },
  ReplicaSet: { apiVersion: 'apps/v1', path: '/apis/apps/v1/namespaces/{ns}/replicasets' },
  EndpointSlice: {
    apiVersion: 'discovery.k8s.io/v1',
    path: '/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices',
  },
};

/** WATCH_TIMEOUT_S: the server ends each watch after this long; it is resumed at once. */
const WATCH_TIMEOUT_S = 290;
const RETRY_PAUSE_MS = 1_000;
/** FLUSH_MS: the longest an observation waits in memory before it is written to the file. */
const FLUSH_MS = 200;

export interface WatchOptions {
  kinds?: readonly WatchedKind[];
  /**
   * startResourceVersion: test seam; the first watch of every kind starts from this resourceVersion
   * instead of the list's (a compacted one forces the 410 relist path on a real apiserver).
   */
  startResourceVersion?: string;
}

export interface WatchSummary {
  observations: Observation[];
  file: string;
  records: number;
  gaps: number;
  /** errors: failures that did not stop the watchers (a failed relist is retried). */
  errors: string[];
}

export interface Watchers {
  /** stop ends every watch and closes the file; idempotent. */
  stop(): Promise<WatchSummary>;
  /** observations seen so far (the live array; do not modify). */
  readonly observations: readonly Observation[];
  /** interrupt: test seam; ends the current watch of a kind as if the stream broke. */
  interrupt(kind: WatchedKind): void;
  /** current is the newest state of every object of a kind that exists as far as the watch knows. */
  current<K extends WatchedKind>(kind: K): TrimmedOf<K>[];
  /**
   * changed resolves at the next observation (of one of `kinds`, when given), after timeoutMs at the
   * latest, at once when stopped or aborted: the way to wait for a state of the cluster without polling
   * the API.
   */
  changed(timeoutMs: number, signal?: AbortSignal, kinds?: readonly WatchedKind[]): Promise<void>;
}

/**
 * startWatchers lists every kind, records the objects as SYNCED with a `listed` marker each, starts the
 * watches and resolves once all are running (so nothing after the call is missed).
 */
export async function startWatchers(
  kube: Kube,
  namespace: string,
  file: string,
  options: WatchOptions = {},
): Promise<Watchers> {
  const out: WriteStream = createWriteStream(file, { flags: 'a' });
  out.on('error', () => undefined);
  out.write(`${JSON.stringify({ version: OBSERVATIONS_VERSION, namespace, startedAtMs: Date.now() })}\n`);
  const observations: Observation[] = [];
  const errors: string[] = [];
  let seq = 0;
  let gaps = 0;
  let stopped = false;
  let unwritten: string[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (unwritten.length) out.write(unwritten.join(''));
    unwritten = [];
  };
  const record = (o: Omit<ObjectRecord, 'seq'> | Omit<WatchMarker, 'seq'>) => {
    const full = { seq: seq++, ...o } as Observation;
    observations.push(full);
    unwritten.push(`${JSON.stringify(full)}\n`);
    flushTimer ??= setTimeout(flush, FLUSH_MS);
  };
  const arrival = () => ({ arrivalMs: Date.now(), monoMs: performance.timeOrigin + performance.now() });

  // Woken at every record: waiters on the cluster's state re-read it then instead of polling the API.
  let changeWaiters: { kinds?: readonly WatchedKind[]; wake: () => void }[] = [];
  /** notify wakes the waiters for this kind (all of them without one: stopped). */
  const notify = (kind?: WatchedKind) => {
    const woken = changeWaiters.filter((w) => !kind || !w.kinds || w.kinds.includes(kind));
    if (!woken.length) return;
    changeWaiters = changeWaiters.filter((w) => !woken.includes(w));
    for (const w of woken) w.wake();
  };
  const known = new Map<WatchedKind, Map<string, { rv: string; object: TrimmedObject }>>();

  const loops = (options.kinds ?? WATCHED_KINDS).map((kind) => {
    const path = API[kind].path.replace('{ns}', namespace);
    const live = new Map<string, { rv: string; object: TrimmedObject }>();
    known.set(kind, live);
    let resourceVersion = '';
    let current: AbortController | undefined;
    let wake: (() => void) | undefined;

    const observe = (type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'SYNCED', raw: unknown) => {
      const meta = (raw as { metadata?: { uid?: string; resourceVersion?: string } }).metadata;
      const uid = meta?.uid ?? '';
      const object = trimObject(kind, raw);
      if (type === 'DELETED') live.delete(uid);
      else live.set(uid, { rv: meta?.resourceVersion ?? '', object });
      record({
        kind,
        type,
        ...arrival(),
        ...(serverTimeMs(meta) !== undefined ? { serverMs: serverTimeMs(meta) } : {}),
        object,
      });
      notify(kind);
    };
    /** vanished records an object a relist no longer lists: its last state, deleted at the relist's time. */
    const vanished = (uid: string, object: TrimmedObject) => {
      live.delete(uid);
      record({ kind, type: 'DELETED', ...arrival(), synthesized: true, object });
      notify(kind);
    };

    const relist = async () => {
      const list = (await kube.objects.list(API[kind].apiVersion, kind, namespace)) as {
        items: { metadata?: { uid?: string; resourceVersion?: string } }[];
        metadata?: { resourceVersion?: string };
      };
      const seen = new Set<string>();
      for (const item of list.items) {
        const uid = item.metadata?.uid ?? '';
        seen.add(uid);
        if (live.get(uid)?.rv !== item.metadata?.resourceVersion) observe('SYNCED', item);
      }
      for (const [uid, { object }] of [...live]) if (!seen.has(uid)) vanished(uid, object);
      resourceVersion = list.metadata?.resourceVersion ?? '';
      record({ kind, marker: 'listed', ...arrival(), count: list.items.length });
    };

    /** watchOnce resolves when the watch ends: normally (resume), 'gone' (410: relist) or with an error. */
    const watchOnce = (fromVersion: string) =>
      new Promise<{ ended: 'normal' | 'gone' | 'error'; reason?: string }>((resolve) => {
        let outcome: { ended: 'normal' | 'gone' | 'error'; reason?: string } = { ended: 'normal' };
        new Watch(kube.config)
          .watch(
            path,
            { resourceVersion: fromVersion, allowWatchBookmarks: true, timeoutSeconds: WATCH_TIMEOUT_S },
            (phase, obj) => {
              if (phase === 'BOOKMARK') {
                resourceVersion = obj?.metadata?.resourceVersion ?? resourceVersion;
              } else if (phase === 'ERROR') {
                const code = obj?.code;
                outcome =
                  code === 410
                    ? { ended: 'gone', reason: `410 Gone: ${obj?.message ?? 'too old resource version'}` }
                    : { ended: 'error', reason: `watch error ${code ?? ''}: ${obj?.message ?? ''}`.trim() };
                current?.abort();
              } else if (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') {
                resourceVersion = obj?.metadata?.resourceVersion ?? resourceVersion;
                observe(phase, obj);
              }
            },
            (err) => {
              // The client ends a watch that was silent for 30 s with a TimeoutError: resumed from the
              // last resourceVersion, nothing is lost, so it is a normal end.
              if (err && outcome.ended === 'normal' && !stopped && err?.name !== 'TimeoutError') {
                const text = String(err?.message ?? err);
                outcome = /\b410\b|too old/i.test(text)
                  ? { ended: 'gone', reason: `410 Gone: ${text}` }
                  : { ended: 'error', reason: text };
              }
              resolve(outcome);
            },
          )
          .then(
            (controller) => {
              current = controller;
              if (stopped) controller.abort();
            },
            (err) => resolve({ ended: 'error', reason: String(err?.message ?? err) }),
          );
      });

    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const loop = (async () => {
      let first = true;
      let needList = true;
      let gap: { fromMs: number; reason?: string } | undefined;
      while (!stopped) {
        try {
          if (needList) {
            await relist();
            needList = false;
          }
        } catch (error) {
          errors.push(`${kind}: list failed: ${String((error as Error).message ?? error)}`);
          if (first) started();
          first = false;
          await pause(
            RETRY_PAUSE_MS,
            () => stopped,
            (w) => (wake = w),
          );
          continue;
        }
        if (gap) {
          // The stream is back (resumed or relisted): the gap is over.
          record({
            kind,
            marker: 'gap',
            ...arrival(),
            fromMs: gap.fromMs,
            toMs: Date.now(),
            reason: gap.reason,
          });
          gap = undefined;
        }
        const from = first && options.startResourceVersion ? options.startResourceVersion : resourceVersion;
        const watching = watchOnce(from);
        if (first) {
          // The watch request is on its way once the controller exists.
          await waitUntil(() => current !== undefined || stopped);
          started();
          first = false;
        }
        const end = await watching;
        current = undefined;
        if (stopped) break;
        if (end.ended === 'normal') continue;
        gaps++;
        gap = { fromMs: Date.now(), reason: end.reason };
        if (end.ended === 'gone') needList = true;
        else
          await pause(
            RETRY_PAUSE_MS,
            () => stopped,
            (w) => (wake = w),
          );
      }
    })();
    return {
      kind,
      running,
      loop,
      stop: () => {
        current?.abort();
        wake?.();
      },
      interrupt: () => current?.abort(new Error('interrupted by test')),
    };
  });
  await Promise.all(loops.map((l) => l.running));

  let summary: Promise<WatchSummary> | undefined;
  return {
    observations,
    current<K extends WatchedKind>(kind: K) {
      return [...(known.get(kind)?.values() ?? [])].map((k) => k.object as TrimmedOf<K>);
    },
    changed(timeoutMs, signal, kinds) {
      if (stopped || signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        signal?.addEventListener('abort', done, { once: true });
        changeWaiters.push({ ...(kinds ? { kinds } : {}), wake: done });
      });
    },
    interrupt(kind) {
      const loop = loops.find((l) => l.kind === kind);
      // An interrupted stream is an error end, not a normal one.
      if (loop) loop.interrupt();
    },
    stop() {
      summary ??= (async () => {
        stopped = true;
        notify();
        for (const l of loops) l.stop();
        await Promise.allSettled(loops.map((l) => l.loop));
        flush();
        await new Promise<void>((resolve) => out.end(resolve));
        return {
          observations,
          file,
          records: observations.filter((o) => 'object' in o).length,
          gaps,
          errors,
        };
      })();
      return summary;
    },
  };
}

function pause(ms: number, stopped: () => boolean, onWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    if (stopped()) return resolve();
    const timer = setTimeout(resolve, ms);
    onWake(() => (clearTimeout(timer), resolve()));
  });
}

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}
