/**
 * lintObjects runs every rule over every Deployment in a set of manifests and returns the findings in a
 * stable order (deployment order, then rule order).
 */
import type { KubernetesObject } from '../render.ts';
import { lintRules, type Severity } from './rules.ts';
import { lintTargets } from './target.ts';

export interface Finding {
  rule: string;
  severity: Severity;
  /** deployment is the Deployment (variant) name the finding is about. */
  deployment: string;
  field: string[];
  detail: string;
  why: string;
  fix: string;
}

const rank: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** atLeast reports whether a finding's severity reaches the given threshold. */
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return rank[severity] >= rank[threshold];
}

export function lintObjects(objects: readonly KubernetesObject[]): Finding[] {
  return lintTargets(objects).flatMap((target) =>
    lintRules.flatMap((rule) =>
      rule.check(target).map((h) => ({
        rule: rule.id,
        severity: rule.severity,
        deployment: target.name,
        field: h.field,
        detail: h.detail,
        why: rule.why,
        fix: rule.fix,
      })),
    ),
  );
}
