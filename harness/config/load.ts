/**
 * Loading a scenario: YAML text → parsed, defaulted Scenario + the deployments it creates, or the
 * complete list of problems with their line numbers. Pure: the caller reads the file.
 *
 * Order: YAML syntax → apiVersion/kind sniff → strict schema → variant expansion and merge → semantic
 * rules. Schema problems of the whole file are reported together; semantic rules need a file that
 * parsed, so they run when the schema passed (as kind's decode-then-validate does).
 */
import { LineCounter, parseDocument, isMap, isScalar, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { API_VERSION, KIND, scenarioSchema, workloadSchema, type Scenario } from './v1alpha1.ts';
import { checkScenario } from './rules.ts';
import type { Deployed, ScenarioModel } from '../core/model.ts';
import { error, hasErrors, type PathSegment, type Problem } from '../core/problems.ts';
import { hasPath, isPlainObject, mergeOverrides, nestPath } from '../core/merge.ts';
import { show } from '../core/problems.ts';

export interface LoadResult {
  /** model is set when the file has no errors (it may have warnings). */
  model?: ScenarioModel;
  problems: Problem[];
  /** lineOf finds the 1-based line of a path in the file (see lineOf below). */
  lineOf: (path: readonly PathSegment[]) => number | undefined;
}

/** loadScenario parses and validates scenario text. It never throws on bad input. */
export function loadScenario(text: string): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (path: readonly PathSegment[]) => lineOf(doc, lineCounter, path);
  const locate = (problem: Problem): Problem => ({ ...problem, line: lineAt(problem.path) });

  if (doc.errors.length > 0) {
    return {
      lineOf: lineAt,
      problems: doc.errors.map((e) => ({
        path: [],
        message: `invalid YAML: ${e.message.split('\n')[0]}`,
        severity: 'error',
        line: lineCounter.linePos(e.pos[0]).line,
      })),
    };
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isPlainObject(data)) {
    return {
      lineOf: lineAt,
      problems: [locate(error([], 'must be a mapping with apiVersion, kind, metadata, workloads and load'))],
    };
  }
  if (data.apiVersion !== API_VERSION || data.kind !== KIND) {
    const problems: Problem[] = [];
    if (data.apiVersion !== API_VERSION)
      problems.push(error(['apiVersion'], `unsupported ${show(data.apiVersion)}, allowed: ${API_VERSION}`));
    if (data.kind !== KIND)
      problems.push(error(['kind'], `unsupported ${show(data.kind)}, allowed: ${KIND}`));
    return { lineOf: lineAt, problems: problems.map(locate) };
  }

  const parsed = scenarioSchema.safeParse(data, { error: messageFor });
  if (!parsed.success) {
    const schemaProblems = issuesToProblems(parsed.error.issues, []);
    return {
      lineOf: lineAt,
      problems: finish([...schemaProblems, ...rulesOnRepaired(data, schemaProblems)], locate),
    };
  }
  const { model, problems } = checkParsed(parsed.data, data);
  const located = finish(problems, locate);
  return model && !hasErrors(problems)
    ? { model, lineOf: lineAt, problems: located }
    : { lineOf: lineAt, problems: located };
}

function checkParsed(
  scenario: Scenario,
  raw: Record<string, unknown>,
): { model?: ScenarioModel; problems: Problem[] } {
  const expansion = expandVariants(scenario, raw);
  if (hasErrors(expansion.problems)) return { problems: expansion.problems };
  const model: ScenarioModel = { scenario, deployments: expansion.deployments };
  return { model, problems: [...expansion.problems, ...checkScenario(model)] };
}

/**
 * rulesOnRepaired lets the semantic rules see a file whose schema failed, so that a file's problems are
 * reported together rather than one phase at a time. It drops the timeline entries that failed (nothing
 * refers to them) and deletes other offending leaves (their defaults stand in), then runs the rules if the
 * result parses; problems at or under a repaired place are discarded, and timeline indices mapped back.
 */
function rulesOnRepaired(raw: Record<string, unknown>, schemaProblems: readonly Problem[]): Problem[] {
  const repaired = structuredClone(raw);
  const droppedTimeline = new Set<number>();
  const deleted: PathSegment[][] = [];
  for (const { path } of schemaProblems) {
    if (path[0] === 'timeline' && typeof path[1] === 'number') droppedTimeline.add(path[1]);
    else if (path.length >= 2) {
      const parent = path
        .slice(0, -1)
        .reduce<unknown>((node, key) => (node as Record<PathSegment, unknown>)?.[key], repaired);
      if (isPlainObject(parent)) delete parent[path.at(-1) as string];
      deleted.push(path);
    } else return [];
  }
  const keptTimeline: number[] = [];
  if (Array.isArray(repaired.timeline)) {
    repaired.timeline = repaired.timeline.filter((_, i) =>
      droppedTimeline.has(i) ? false : keptTimeline.push(i),
    );
  }
  const reparsed = scenarioSchema.safeParse(repaired);
  if (!reparsed.success) return [];
  const under = (path: PathSegment[], prefix: PathSegment[]) =>
    prefix.every((segment, i) => path[i] === segment);
  return checkParsed(reparsed.data, repaired)
    .problems.map((problem) =>
      problem.path[0] === 'timeline' && typeof problem.path[1] === 'number'
        ? {
            ...problem,
            path: ['timeline', keptTimeline[problem.path[1]] as number, ...problem.path.slice(2)],
          }
        : problem,
    )
    .filter((problem) => !deleted.some((prefix) => under(problem.path, prefix)));
}

/** finish locates problems, drops duplicates and orders them by line, as a reader goes through the file. */
function finish(problems: Problem[], locate: (p: Problem) => Problem): Problem[] {
  return dedupe(problems.map(locate)).sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

// ---- variants ------------------------------------------------------------------------------------------

interface Expansion {
  deployments: Deployed[];
  problems: Problem[];
}

/**
 * expandVariants merges each variant's overrides into the raw workload it names and validates the result
 * with the workload schema, so a variant is held to the same rules as a workload. Matrix variants become
 * one variant per combination of axis values, named `<workload>-<fragment>…` (see nameFragment).
 */
function expandVariants(scenario: Scenario, raw: Record<string, unknown>): Expansion {
  const rawWorkloads = (raw.workloads as unknown[]) ?? [];
  const rawByName = new Map<string, { raw: unknown; index: number }>();
  rawWorkloads.forEach((w, index) => rawByName.set((w as { name: string }).name, { raw: w, index }));

  const deployments: Deployed[] = [];
  const problems: Problem[] = [];
  const varied = new Set<string>();
  scenario.variants.forEach((v) => varied.add('matrix' in v ? v.matrix.workload : v.workload));

  scenario.workloads.forEach((workload, index) => {
    if (varied.has(workload.name)) return;
    deployments.push({
      name: workload.name,
      workload: workload.name,
      spec: workload,
      source: ['workloads', index],
      origin: (fieldPath) => ['workloads', index, ...fieldPath],
    });
  });

  scenario.variants.forEach((variant, variantIndex) => {
    const workloadName = 'matrix' in variant ? variant.matrix.workload : variant.workload;
    const base = rawByName.get(workloadName);
    const refPath: PathSegment[] = ['variants', variantIndex, 'matrix' in variant ? 'matrix' : 'workload'];
    if (!base) {
      const names = [...rawByName.keys()].join(', ');
      problems.push(
        error(
          'matrix' in variant ? [...refPath, 'workload'] : refPath,
          `no workload named ${show(workloadName)}, allowed: ${names}`,
        ),
      );
      return;
    }
    const candidates =
      'matrix' in variant
        ? matrixCombinations(variant.matrix, variantIndex)
        : [namedCandidate(variant, variantIndex, base.raw)];
    for (const candidate of candidates) {
      const merged = mergeOverrides(base.raw, { ...candidate.overrides, name: candidate.name });
      const origin = (fieldPath: PathSegment[]): PathSegment[] =>
        candidate.originOf(fieldPath) ?? ['workloads', base.index, ...fieldPath];
      const result = workloadSchema.safeParse(merged, { error: messageFor });
      if (!result.success) {
        for (const problem of issuesToProblems(result.error.issues, [])) {
          const path = origin(problem.path);
          // A matrix value is shared by many combinations: report it once, at the value.
          const where = path.includes('matrix') ? '' : ` (in variant ${candidate.name})`;
          problems.push({ ...problem, path, message: `${problem.message}${where}` });
        }
        continue;
      }
      deployments.push({
        name: candidate.name,
        workload: workloadName,
        spec: result.data,
        source: 'matrix' in variant ? ['variants', variantIndex, 'matrix'] : ['variants', variantIndex],
        ...(candidate.description === undefined ? {} : { description: candidate.description }),
        origin,
      });
    }
  });
  return { deployments, problems };
}

interface Candidate {
  name: string;
  description?: string;
  overrides: Record<string, unknown>;
  /** originOf returns where in the file a field of the merged spec was set, if the variant set it. */
  originOf: (fieldPath: PathSegment[]) => PathSegment[] | undefined;
}

function namedCandidate(
  variant: { name: string; description?: string | undefined; overrides: Record<string, unknown> },
  index: number,
  base: unknown,
): Candidate {
  return {
    name: variant.name,
    ...(variant.description === undefined ? {} : { description: variant.description }),
    overrides: variant.overrides,
    // A field belongs to the variant when the overrides reach deeper into its path than the base does
    // (for example a startup probe that only the variant declares).
    originOf: (fieldPath) => {
      const inOverrides = longestPrefix(variant.overrides, fieldPath);
      return inOverrides > 0 && inOverrides >= longestPrefix(base, fieldPath)
        ? ['variants', index, 'overrides', ...fieldPath]
        : undefined;
    },
  };
}

function longestPrefix(obj: unknown, path: readonly PathSegment[]): number {
  let length = 0;
  while (length < path.length && hasPath(obj, path.slice(0, length + 1))) length++;
  return length;
}

function matrixCombinations(
  matrix: { workload: string; axes: { name: string; path: string; values: unknown[] }[] },
  index: number,
): Candidate[] {
  let combos: { picks: number[] }[] = [{ picks: [] }];
  for (const axis of matrix.axes) {
    combos = combos.flatMap((c) => axis.values.map((_, valueIndex) => ({ picks: [...c.picks, valueIndex] })));
  }
  return combos.map(({ picks }) => {
    let overrides: Record<string, unknown> = {};
    const parts: string[] = [matrix.workload];
    const described: string[] = [];
    matrix.axes.forEach((axis, axisIndex) => {
      const value = axis.values[picks[axisIndex] as number];
      overrides = mergeOverrides(overrides, nestPath(axis.path, value)) as Record<string, unknown>;
      parts.push(nameFragment(axis.name, value, picks[axisIndex] as number));
      described.push(`${axis.path}=${JSON.stringify(value)}`);
    });
    return {
      name: parts.join('-'),
      description: described.join(', '),
      overrides,
      originOf: (fieldPath: PathSegment[]) => {
        const dotted = fieldPath.join('.');
        const axisIndex = matrix.axes.findIndex((a) => dotted === a.path || dotted.startsWith(`${a.path}.`));
        if (axisIndex < 0) return undefined;
        return ['variants', index, 'matrix', 'axes', axisIndex, 'values', picks[axisIndex] as number];
      },
    };
  });
}

/**
 * nameFragment names one axis value inside a variant name: a word stands for itself (`graceful`,
 * `watch-file`), a number or boolean gets the axis name in front (`timeout1`), and a mapping or list its
 * index (`probe0`).
 */
function nameFragment(axis: string, value: unknown, index: number): string {
  if (typeof value === 'object' && value !== null) return `${axis}${index}`;
  const text = String(value)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (typeof value === 'string' && /^[a-z]/.test(text)) return text;
  return `${axis}${text || index}`;
}

// ---- zod issues → problems -----------------------------------------------------------------------------

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

/**
 * messageFor words zod's issues as "what is wrong, what is allowed". It runs while parsing, where the
 * offending input and the schema that rejected it are still at hand.
 */
function messageFor(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const format = (issue.inst as { _zod?: { def?: { format?: string } } } | undefined)?._zod?.def?.format;
      const expected = describeExpected(format === 'safeint' ? 'int' : issue.expected);
      if (issue.input === undefined) return `is required (${expected})`;
      return `must be ${expected}, got ${show(issue.input)}`;
    }
    case 'unrecognized_keys': {
      const shape = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod
        ?.def?.shape;
      return shape ? `allowed: ${Object.keys(shape).join(', ')}` : 'no other keys allowed';
    }
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${show(issue.input)}`;
    case 'too_small': {
      const min = `${issue.minimum}`;
      if (issue.origin === 'array') return `must have at least ${min} item${min === '1' ? '' : 's'}`;
      if (issue.origin === 'string') return `must not be empty`;
      return `must be ${issue.inclusive === false ? '>' : '≥'} ${min}, got ${show(issue.input)}`;
    }
    case 'too_big': {
      const max = `${issue.maximum}`;
      if (issue.origin === 'array') return `must have at most ${max} items`;
      return `must be ${issue.inclusive === false ? '<' : '≤'} ${max}, got ${show(issue.input)}`;
    }
    case 'invalid_format':
      if (issue.format === 'starts_with')
        return `must start with ${JSON.stringify((issue as { prefix?: string }).prefix)}, got ${show(issue.input)}`;
      return undefined;
    default:
      return undefined;
  }
}

function describeExpected(expected: string): string {
  const words: Record<string, string> = {
    int: 'an integer',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
    array: 'a list',
    object: 'a mapping',
    record: 'a mapping',
  };
  return words[expected] ?? expected;
}

function issuesToProblems(issues: readonly Issue[], prefix: PathSegment[]): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as PathSegment[])];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        problems.push(error([...path, key], `unknown key ${JSON.stringify(key)}, ${issue.message}`));
    } else if (
      issue.code === 'invalid_union' &&
      issue.errors.length > 0 &&
      !issue.message.startsWith('must be a named') &&
      !issue.message.startsWith('unknown action')
    ) {
      // A union whose every branch failed: report the branch that got furthest (most specific path).
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0] ?? [];
      problems.push(...issuesToProblems(best, path));
    } else {
      problems.push(error(path, issue.message));
    }
  }
  return problems;
}

function depth(issues: readonly Issue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length)) - issues.length / 1000;
}

// ---- locations -----------------------------------------------------------------------------------------

/**
 * lineOf finds the line of the value at path; for a missing value, the line of the nearest ancestor that
 * exists; for a key that should not be there, the line of the key itself.
 */
function lineOf(doc: Document, lineCounter: LineCounter, path: readonly PathSegment[]): number | undefined {
  for (let length = path.length; length >= 0; length--) {
    const parentPath = path.slice(0, Math.max(0, length - 1));
    const parent = length === 0 ? doc.contents : (doc.getIn(parentPath, true) as Node | undefined);
    if (length > 0 && isMap(parent)) {
      const key = path[length - 1];
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === key);
      const keyNode = pair?.key as Node | undefined;
      if (keyNode?.range) return lineCounter.linePos(keyNode.range[0]).line;
      continue;
    }
    const node = length === 0 ? doc.contents : (doc.getIn(path.slice(0, length), true) as Node | undefined);
    if (node && typeof node === 'object' && 'range' in node && node.range)
      return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}|${p.path.join('.')}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
