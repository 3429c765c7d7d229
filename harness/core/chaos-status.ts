/**
 * Judging a Chaos Mesh resource's status: did the fault get injected, is it still pending, or is it failing,
 * and why, in words a user can act on. Pure.
 *
 * The facts come from the status Chaos Mesh's controller writes (v2.x): conditions Selected, AllInjected,
 * AllRecovered; status.experiment.containerRecords[] with phase and events (type Succeeded/Failed,
 * operation Apply/Recover, message, timestamp). Event timestamps are the controller's clock, RFC 3339
 * with 1 s precision.
 */
import type { ChaosAction } from '../config/v1alpha1.ts';

export interface ChaosRecordEvent {
  type: string;
  operation: string;
  message?: string;
  timestamp?: string;
}

export interface ChaosStatus {
  conditions?: { type: string; status: string; reason?: string }[];
  experiment?: {
    desiredPhase?: string;
    containerRecords?: {
      id: string;
      phase?: string;
      injectedCount?: number;
      recoveredCount?: number;
      events?: ChaosRecordEvent[];
    }[];
  };
}

export type Injection =
  | { state: 'pending'; detail: string }
  | { state: 'injected'; targets: string[]; at?: string }
  | { state: 'failing'; reason: string; detail: string; targets: string[] };

/** failureReason turns a daemon error into the reason a report prints. */
export function failureReason(action: ChaosAction['action'], message: string): string {
  const qdiscMissing =
    /qdisc kind is unknown|specified qdisc not found|no such file or directory|not supported/i;
  if (
    (action === 'network-delay' || action === 'network-loss') &&
    (/netem/i.test(message) || qdiscMissing.test(message))
  )
    return 'not injected: kernel lacks sch_netem';
  if (action === 'bandwidth' && (/tbf/i.test(message) || qdiscMissing.test(message)))
    return 'not injected: kernel lacks sch_tbf';
  if (action === 'network-partition' && /ipset|set type|match-set/i.test(message))
    return 'not injected: kernel lacks ipset support';
  if (/cannot find daemonIP/i.test(message))
    return "not injected: no chaos-daemon runs on the target pod's node";
  return `not injected: ${firstLine(message)}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.slice(0, 300) ?? '';
}

export function judgeInjection(action: ChaosAction['action'], status: ChaosStatus | undefined): Injection {
  const records = status?.experiment?.containerRecords ?? [];
  const targets = records.map((r) => r.id);
  const condition = (type: string) => status?.conditions?.find((c) => c.type === type)?.status;
  // A record fails while its latest Apply event is a failure (Chaos Mesh retries failed applies).
  for (const record of records) {
    const applies = (record.events ?? []).filter((e) => e.operation === 'Apply');
    const latest = applies.at(-1);
    if (latest?.type === 'Failed' && record.phase !== 'Injected')
      return {
        state: 'failing',
        reason: failureReason(action, latest.message ?? ''),
        detail: `${record.id}: ${firstLine(latest.message ?? '(no message)')}`,
        targets,
      };
  }
  if (condition('AllInjected') === 'True' && records.length > 0) {
    const at = records
      .flatMap((r) => (r.events ?? []).filter((e) => e.operation === 'Apply' && e.type === 'Succeeded'))
      .map((e) => e.timestamp)
      .filter((t): t is string => Boolean(t))
      .sort()
      .at(-1);
    return { state: 'injected', targets, ...(at ? { at } : {}) };
  }
  if (condition('Selected') === 'False') return { state: 'pending', detail: 'no target pod selected yet' };
  return {
    state: 'pending',
    detail: records.length
      ? `${records.filter((r) => r.phase === 'Injected').length} of ${records.length} target(s) injected`
      : 'the controller has not recorded targets yet',
  };
}

export interface RuleGauges {
  /** iptablesRules: rules in the pods' own network namespaces (one chaos_daemon_iptables_packets series each). */
  iptablesRules: number;
  ipsetMembers: number;
  tcRules: number;
}

/**
 * ruleGaugesOf sums chaos-daemon's network gauges (Prometheus text format) for the pods of one namespace.
 * All zero is the baseline of a pod no fault was ever injected into, and what must remain after removal.
 */
export function ruleGaugesOf(metricsText: string, namespace: string): RuleGauges {
  const gauges: RuleGauges = { iptablesRules: 0, ipsetMembers: 0, tcRules: 0 };
  const sample = /^(chaos_daemon_(?:iptables_packets|ipset_members|tcs_rules))\{([^}]*)\}\s+(\S+)/;
  for (const line of metricsText.split('\n')) {
    const match = sample.exec(line);
    if (!match) continue;
    const labels = match[2] ?? '';
    if (!labels.split(',').some((pair) => pair === `namespace="${namespace}"`)) continue;
    const value = Number(match[3]);
    if (match[1] === 'chaos_daemon_iptables_packets') gauges.iptablesRules += 1;
    else if (match[1] === 'chaos_daemon_ipset_members') gauges.ipsetMembers += value;
    else gauges.tcRules += value;
  }
  return gauges;
}
