/**
 * The validated scenario as the rest of the harness uses it: the parsed file plus the list of
 * deployments a run creates, with every variant's overrides already merged into its workload.
 */
import type { Scenario, Workload } from '../config/v1alpha1.ts';
import type { PathSegment } from './problems.ts';

/** Deployed is one Deployment (+ Service, HPA, ConfigMap) that a run creates. */
export interface Deployed {
  /** name is the variant name, or the workload name for a workload without variants. */
  name: string;
  /** workload is the name of the workload this deployment comes from. */
  workload: string;
  /** spec is the workload after merging the variant's overrides, validated and defaulted. */
  spec: Workload;
  description?: string;
  /** source is where the deployment is declared: ['workloads', i], ['variants', i] or ['variants', i, 'matrix']. */
  source: PathSegment[];
  /** origin maps a field path of spec to where it was written in the file (for error locations). */
  origin: (fieldPath: PathSegment[]) => PathSegment[];
}

export interface ScenarioModel {
  scenario: Scenario;
  /** deployments, in file order: workloads without variants, then variants as written. */
  deployments: Deployed[];
}

/** deploymentsOf returns the deployments a timeline or load target names: a variant, or every deployment of a workload. */
export function deploymentsOf(model: ScenarioModel, target: string): Deployed[] {
  const byName = model.deployments.filter((d) => d.name === target);
  if (byName.length > 0) return byName;
  return model.deployments.filter((d) => d.workload === target);
}
