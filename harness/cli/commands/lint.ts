/**
 * `probelab lint <file>…`: the probe and autoscaling review of scenario files or Kubernetes manifests.
 * A scenario is rendered and reviewed through the manifests a run would apply; findings point back at
 * the scenario line that causes them.
 */
import { loadScenario } from '../../config/load.ts';
import { looksLikeScenario, parseManifests } from '../../config/manifests.ts';
import { atLeast, lintObjects, type Finding } from '../../core/lint/lint.ts';
import type { Severity } from '../../core/lint/rules.ts';
import { formatPath, formatProblem, hasErrors, type PathSegment } from '../../core/problems.ts';
import { renderManifests, timelineObjects } from '../../core/render.ts';
import { readText } from '../../adapters/files.ts';
import { EXIT, type IO } from '../io.ts';
import { PREVIEW_RENDER_OPTIONS } from './defaults.ts';

export interface LintFlags {
  failOn: Severity;
  output: 'text' | 'json';
}

interface Located extends Finding {
  file: string;
  line?: number;
  location: string;
}

export async function lintCommand(files: string[], flags: LintFlags, io: IO): Promise<number> {
  const located: Located[] = [];
  let unreadable = 0;
  for (const file of files) {
    const text = await readText(io.cwd, file);
    const result = looksLikeScenario(text) ? lintScenario(file, text, io) : lintManifests(file, text, io);
    if (!result) unreadable++;
    else located.push(...result);
  }
  if (flags.output === 'json') io.stdout.write(`${JSON.stringify(located, null, 2)}\n`);
  else {
    for (const f of located) {
      io.stdout.write(
        `${f.file}${f.line === undefined ? '' : `:${f.line}`} ${f.location}: ${f.severity} ${f.rule} (${f.deployment}): ${f.detail}\n`,
      );
      io.stdout.write(`  why: ${f.why}\n  fix: ${f.fix}\n`);
    }
    const count = (s: Severity) => located.filter((f) => f.severity === s).length;
    io.stdout.write(
      `${located.length} finding${located.length === 1 ? '' : 's'}: ${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} info\n`,
    );
  }
  if (unreadable > 0) return EXIT.failed;
  return located.some((f) => atLeast(f.severity, flags.failOn)) ? EXIT.failed : EXIT.ok;
}

function lintScenario(file: string, text: string, io: IO): Located[] | undefined {
  const { model, problems, lineOf } = loadScenario(text);
  for (const problem of problems) io.stderr.write(`${formatProblem(file, problem)}\n`);
  if (!model || hasErrors(problems)) return undefined;
  const rendered = renderManifests(model, PREVIEW_RENDER_OPTIONS);
  const objects = [...rendered.objects, ...timelineObjects(rendered)];
  return lintObjects(objects).map((finding) => {
    const deployed = model.deployments.find((d) => d.name === finding.deployment);
    const path: PathSegment[] = deployed ? deployed.origin(finding.field) : finding.field;
    const line = lineOf(path);
    return { ...finding, file, ...(line === undefined ? {} : { line }), location: formatPath(path) };
  });
}

function lintManifests(file: string, text: string, io: IO): Located[] | undefined {
  const { objects, problems } = parseManifests(text);
  for (const problem of problems) io.stderr.write(`${formatProblem(file, problem)}\n`);
  if (problems.length > 0) return undefined;
  const lineOfDeployment = new Map(
    objects.filter((o) => o.object.kind === 'Deployment').map((o) => [o.object.metadata.name, o.line]),
  );
  return lintObjects(objects.map((o) => o.object)).map((finding) => {
    const line = lineOfDeployment.get(finding.deployment);
    return {
      ...finding,
      file,
      ...(line === undefined ? {} : { line }),
      location: `Deployment/${finding.deployment} ${manifestField(finding.field)}`,
    };
  });
}

/** manifestField names, in Kubernetes terms, the manifest field a finding's scenario field corresponds to. */
function manifestField(field: string[]): string {
  const [head, second, ...rest] = field;
  const container = 'spec.template.spec.containers[sample]';
  switch (head) {
    case 'probes':
      return [`${container}.${second}Probe`, ...rest].join('.');
    case 'resources':
    case 'env':
      return [`${container}.${head}`, second, ...rest].filter(Boolean).join('.');
    case 'behaviour':
      return `${container}.env (SAMPLE_* ${[second, ...rest].join('.')})`;
    case 'config':
      return `${container}.volumeMounts`;
    case 'hpa':
      return `HorizontalPodAutoscaler ${['spec', second, ...rest].filter(Boolean).join('.')}`;
    case 'terminationGracePeriodSeconds':
      return 'spec.template.spec.terminationGracePeriodSeconds';
    default:
      return ['spec', ...field].join('.');
  }
}
