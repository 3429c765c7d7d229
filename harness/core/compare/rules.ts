/**
 * Tolerance rules of a comparison: the defaults of each metric (metrics.ts), optionally replaced per
 * metric by a rules file:
 *
 *   apiVersion: probelab.dev/v1alpha1
 *   kind: CompareRules
 *   alpha: 0.05                 # optional: level of the repeats' test (0 < alpha ≤ 0.5)
 *   metrics:
 *     latencyP95: { relative: 0.1, absolute: 10ms }
 *     restarts: { absolute: 1 }
 *     droppedIterations: { ignore: true }
 *
 * A metric's entry replaces its default rule whole (parts left out are not taken from the default).
 * Parsing is strict: unknown keys and bad values are all reported together, each as
 * `path: what is wrong, what is allowed` with its line. Pure: the caller reads the file.
 */
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { DURATION_FORMAT, parseDuration } from '../duration.ts';
import { error, type PathSegment, type Problem } from '../problems.ts';
import { BOOTSTRAP } from './stats.ts';
import { METRIC_IDS, METRICS, type MetricDef, type MetricId, type ToleranceRule } from './metrics.ts';
import { show } from '../problems.ts';

export const COMPARE_RULES_API_VERSION = 'probelab.dev/v1alpha1';
export const COMPARE_RULES_KIND = 'CompareRules';

export interface MetricRule extends ToleranceRule {
  /** ignore: leave the metric out of the comparison (and of the ranking). */
  ignore?: boolean;
}

/** CompareRules: a parsed rules file. */
export interface CompareRules {
  alpha?: number;
  metrics?: Partial<Record<MetricId, MetricRule>>;
}

/** ResolvedRules: the rule in force for every metric, and where it came from. */
export interface ResolvedRules {
  alpha: number;
  rules: Record<MetricId, { rule: ToleranceRule; source: 'default' | 'rules file' }>;
  ignored: MetricId[];
}

export function resolveRules(rules: CompareRules = {}): ResolvedRules {
  const resolved = {} as ResolvedRules['rules'];
  const ignored: MetricId[] = [];
  for (const m of METRICS) {
    const given = rules.metrics?.[m.id];
    if (given?.ignore) ignored.push(m.id);
    resolved[m.id] = given
      ? {
          rule: {
            ...(given.absolute !== undefined ? { absolute: given.absolute } : {}),
            ...(given.relative !== undefined ? { relative: given.relative } : {}),
          },
          source: 'rules file',
        }
      : { rule: m.rule, source: 'default' };
  }
  return { alpha: rules.alpha ?? BOOTSTRAP.alpha, rules: resolved, ignored };
}

// ---- the file ------------------------------------------------------------------------------------------

function amountSchema(def: MetricDef) {
  if (def.unit !== 'ms') return z.number().min(0);
  return z.unknown().transform((value, ctx) => {
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms !== undefined) return ms;
    ctx.addIssue({
      code: 'custom',
      message: `must be milliseconds (a number ≥ 0) or ${DURATION_FORMAT}, got ${show(value)}`,
    });
    return z.NEVER;
  });
}

function ruleSchema(def: MetricDef) {
  return z
    .strictObject({
      absolute: amountSchema(def).optional(),
      relative: z.number().min(0).optional(),
      ignore: z.boolean().optional(),
    })
    .superRefine((rule, ctx) => {
      if (rule.absolute === undefined && rule.relative === undefined && !rule.ignore)
        ctx.addIssue({
          code: 'custom',
          message: `needs absolute (in ${def.unit}), relative (a fraction of the base value, 0.2 = 20%) or both, or ignore: true`,
        });
    });
}

const rulesFields = {
  alpha: z.number().gt(0).max(0.5).optional(),
  metrics: z
    .strictObject(Object.fromEntries(METRICS.map((m) => [m.id, ruleSchema(m).optional()])))
    .optional(),
};

/**
 * compareSectionSchema: the same rules as a scenario's `compare:` section; a run keeps them in its
 * run.json (compareRules) and `probelab compare` and `probelab suite` use the candidate's unless a rules
 * file is given.
 */
export const compareSectionSchema = z
  .strictObject(rulesFields)
  .describe(
    'Tolerance rules for `probelab compare` and `probelab suite` (docs/compare.md): per metric id absolute and/or relative, or ignore.',
  );

const rulesSchema = z.strictObject({
  apiVersion: z.literal(COMPARE_RULES_API_VERSION),
  kind: z.literal(COMPARE_RULES_KIND),
  ...rulesFields,
});

export interface RulesParseResult {
  /** rules: set when the file has no problem. */
  rules?: CompareRules;
  problems: Problem[];
}

/** parseCompareRules: rules file text → rules, or every problem of the file with its line. */
export function parseCompareRules(text: string): RulesParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length)
    return {
      problems: doc.errors.map((e) => ({
        ...error([], `invalid YAML: ${e.message.split('\n')[0]}`),
        line: lineCounter.linePos(e.pos[0]).line,
      })),
    };
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  const parsed = rulesSchema.safeParse(data ?? {}, { error: messageFor });
  if (parsed.success) {
    const { alpha, metrics } = parsed.data;
    return {
      rules: {
        ...(alpha !== undefined ? { alpha } : {}),
        ...(metrics ? { metrics: metrics as CompareRules['metrics'] } : {}),
      },
      problems: [],
    };
  }
  const problems: Problem[] = [];
  for (const issue of parsed.error.issues) {
    const path = issue.path as PathSegment[];
    if (issue.code === 'unrecognized_keys')
      for (const key of issue.keys)
        problems.push(error([...path, key], `unknown key ${show(key)}, ${issue.message}`));
    else problems.push(error(path, issue.message));
  }
  return {
    problems: problems
      .map((p) => ({ ...p, line: lineOf(doc, lineCounter, p.path) }))
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
  };
}

function messageFor(issue: z.core.$ZodRawIssue): string | undefined {
  const path = (issue.path ?? []) as PathSegment[];
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined && path.length === 1)
        return `is required, allowed: ${path[0] === 'apiVersion' ? COMPARE_RULES_API_VERSION : COMPARE_RULES_KIND}`;
      return `must be ${words[issue.expected] ?? issue.expected}, got ${show(issue.input)}`;
    case 'invalid_value':
      if (issue.input === undefined) return `is required, allowed: ${issue.values.map(String).join(', ')}`;
      return `unsupported ${show(issue.input)}, allowed: ${issue.values.map(String).join(', ')}`;
    case 'unrecognized_keys':
      return path[0] === 'metrics' && path.length === 1
        ? `allowed metrics: ${METRIC_IDS.join(', ')}`
        : path.length === 0
          ? 'allowed: apiVersion, kind, alpha, metrics'
          : 'allowed: absolute, relative, ignore';
    case 'too_small':
      return `must be ${issue.inclusive === false ? '>' : '≥'} ${issue.minimum}, got ${show(issue.input)}`;
    case 'too_big':
      return `must be ${issue.inclusive === false ? '<' : '≤'} ${issue.maximum}, got ${show(issue.input)}`;
    default:
      return undefined;
  }
}

const words: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
};

/** lineOf: the line of the key at path, else of its nearest ancestor that exists. */
function lineOf(doc: Document, lineCounter: LineCounter, path: readonly PathSegment[]): number | undefined {
  for (let length = path.length; length > 0; length--) {
    const parent =
      length === 1 ? doc.contents : (doc.getIn(path.slice(0, length - 1), true) as Node | undefined);
    if (!isMap(parent)) continue;
    const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[length - 1]);
    const range = (pair?.key as Node | undefined)?.range;
    if (range) return lineCounter.linePos(range[0]).line;
  }
  const range = (doc.contents as Node | null)?.range;
  return range ? lineCounter.linePos(range[0]).line : undefined;
}
