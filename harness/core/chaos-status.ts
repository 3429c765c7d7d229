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
  /**
   * activeIptablesRules: rules that act on traffic — in a chain reachable from a built-in chain (INPUT,
   * OUTPUT, …) through jumps, and not themselves a jump to another chain. Zero in a pod no fault was
   * ever injected into, and what must be zero again after removal.
   */
  activeIptablesRules: number;
  /**
   * inertIptablesRules: rules in chains nothing jumps to any more. Chaos Mesh's recovery empties its
   * CHAOS-INPUT/CHAOS-OUTPUT chains but leaves each fault's own chain (and ipset) behind; they no longer
   * see a packet. Reported, not judged.
   */
  inertIptablesRules: number;
  /** ipsetMembers: members of every ipset in the pods (Chaos Mesh leaves recovered sets filled). */
  ipsetMembers: number;
  /** tcRules: qdisc/filter lines of the pods' interfaces (2 per pod without any fault: lo and eth0). */
  tcRules: number;
  /** tcRulesByPod: the same per pod, so that pods added or removed meanwhile (HPA, kills) do not count. */
  tcRulesByPod: Record<string, number>;
}

const BUILT_IN_CHAINS = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);

/**
 * ruleGaugesOf reads chaos-daemon's network gauges (Prometheus text format) for the pods of one
 * namespace: every chaos_daemon_iptables_packets series is one rule (labels pod, table, chain, rule),
 * chaos_daemon_ipset_members and chaos_daemon_tcs_rules are per-pod values.
 */
export function ruleGaugesOf(metricsText: string, namespace: string): RuleGauges {
  const gauges: RuleGauges = {
    activeIptablesRules: 0,
    inertIptablesRules: 0,
    ipsetMembers: 0,
    tcRules: 0,
    tcRulesByPod: {},
  };
  const sample = /^(chaos_daemon_(?:iptables_packets|ipset_members|tcs_rules))\{(.*)\}\s+(\S+)$/;
  // pod/table → chain → rules
  const tables = new Map<string, Map<string, string[]>>();
  for (const line of metricsText.split('\n')) {
    const match = sample.exec(line);
    if (!match) continue;
    const labels = parseLabels(match[2] ?? '');
    if (labels.namespace !== namespace) continue;
    const value = Number(match[3]);
    if (match[1] === 'chaos_daemon_ipset_members') gauges.ipsetMembers += value;
    else if (match[1] === 'chaos_daemon_tcs_rules') {
      gauges.tcRules += value;
      const pod = labels.pod ?? '';
      gauges.tcRulesByPod[pod] = (gauges.tcRulesByPod[pod] ?? 0) + value;
    } else {
      const key = `${labels.pod}/${labels.table}`;
      const chains = tables.get(key) ?? new Map<string, string[]>();
      tables.set(key, chains);
      const chain = labels.chain ?? '';
      chains.set(chain, [...(chains.get(chain) ?? []), labels.rule ?? '']);
    }
  }
  for (const chains of tables.values()) {
    const reachable = new Set<string>();
    const visit = (chain: string) => {
      if (reachable.has(chain)) return;
      reachable.add(chain);
      for (const rule of chains.get(chain) ?? []) {
        const target = jumpTarget(rule);
        if (target && chains.has(target)) visit(target);
      }
    };
    for (const chain of chains.keys()) if (BUILT_IN_CHAINS.has(chain)) visit(chain);
    for (const [chain, rules] of chains)
      for (const rule of rules) {
        if (!reachable.has(chain)) gauges.inertIptablesRules++;
        else if (!isChainJump(rule)) gauges.activeIptablesRules++;
      }
  }
  return gauges;
}

/** Targets that act on a packet; any other target is a user-defined chain (a jump). */
const ACTING_TARGETS = new Set(
  'ACCEPT DROP REJECT RETURN QUEUE NFQUEUE LOG NFLOG CLASSIFY MARK CONNMARK DNAT SNAT MASQUERADE REDIRECT TPROXY CT NOTRACK TRACE TCPMSS DSCP TOS TTL'.split(
    ' ',
  ),
);

/** isChainJump: the rule only passes packets on to another chain (an empty chain acts on nothing). */
function isChainJump(rule: string): boolean {
  const target = jumpTarget(rule);
  return target !== undefined && !ACTING_TARGETS.has(target);
}

function jumpTarget(rule: string): string | undefined {
  return /(?:^|\s)-[jg] (\S+)/.exec(rule)?.[1];
}

/** parseLabels reads Prometheus label pairs (values with \" and \\ escapes). */
function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pair = /(\w+)="((?:[^"\\]|\\.)*)"/g;
  for (const m of text.matchAll(pair)) labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, '$1');
  return labels;
}

/**
 * lastDaemonError finds chaos-daemon's most recent error for one pod in its log (zap console format:
 * time, level, logger, caller, message, then a JSON object with "namespacedName" and "error"). Chaos
 * Mesh's status says only "unable to set tcs for pod …"; the daemon's log has the command's own error.
 */
export function lastDaemonError(logText: string, namespacedName: string): string | undefined {
  let found: string | undefined;
  for (const line of logText.split('\n')) {
    if (!/\tERROR\t/.test(line) || !line.includes(`"namespacedName": "${namespacedName}"`)) continue;
    const json = line.slice(line.indexOf('{'));
    try {
      const fields = JSON.parse(json) as { error?: string };
      if (fields.error) found = fields.error.trim();
    } catch {
      // a line cut short by the tail limit: skip it
    }
  }
  return found;
}

/** leftoverRules compares the run pods' network rules after removal with the baseline before injection. */
export function leftoverRules(before: RuleGauges | undefined, after: RuleGauges | undefined): string[] {
  if (!before || !after) return [];
  const problems: string[] = [];
  if (after.activeIptablesRules > before.activeIptablesRules)
    problems.push(
      `${after.activeIptablesRules - before.activeIptablesRules} iptables rule(s) still act on traffic in the run's pods`,
    );
  // Only more lines than before are something left behind. Fewer is a pod going away: a pod the fault
  // killed reports 0 lines while it terminates (its network namespace is gone) before it leaves the gauges.
  const added = Object.entries(after.tcRulesByPod)
    .filter(([pod, n]) => before.tcRulesByPod[pod] !== undefined && n > (before.tcRulesByPod[pod] ?? 0))
    .map(([pod, n]) => `${pod} ${before.tcRulesByPod[pod]} → ${n}`);
  if (added.length) problems.push(`tc lines added in pods present before the fault: ${added.join(', ')}`);
  return problems;
}
