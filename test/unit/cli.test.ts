/** The CLI as a function: argv in, exit code and output out, nothing touching the real process. */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, workloadWith } from './builders.ts';

const root = join(import.meta.dirname, '..', '..');

const probelab = (args: string[], cwd = root) => runCli(args, cwd);

describe('probelab CLI', () => {
  it('report: renders summary.md and junit.xml again from run.json alone', async () => {
    const golden = join(root, 'test', 'golden', 'reports');
    const dir = mkdtempSync(join(tmpdir(), 'probelab-report-'));
    copyFileSync(join(golden, 'run.json'), join(dir, 'run.json'));
    const r = await probelab(['report', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^INVALID: golden run r1; rendered /);
    assert.equal(
      readFileSync(join(dir, 'junit.xml'), 'utf8'),
      readFileSync(join(golden, 'junit.xml'), 'utf8'),
    );
    // summary.md is the golden one plus the key charts, written beside it as SVG files.
    const summary = readFileSync(join(dir, 'summary.md'), 'utf8');
    const images = [...summary.matchAll(/!\[[^\]]*\]\((charts\/[^)]+\.svg)\)/g)].map((m) => m[1] as string);
    assert.ok(images.length > 0, summary);
    for (const image of images) assert.match(readFileSync(join(dir, image), 'utf8'), /^<svg/);
    const withoutCharts = summary.replace(/\n## Charts\n[\s\S]*?(?=\n## Faults)/, '');
    assert.equal(withoutCharts, readFileSync(join(golden, 'summary.md'), 'utf8'));
  });

  it('report: a run.json of another version is refused, naming the field and what is allowed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'probelab-report-'));
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ version: 'probelab.dev/run/v0' }));
    const r = await probelab(['report', join(dir, 'run.json')]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /run.json: version: "probelab.dev\/run\/v0" is not supported, allowed: probelab.dev\/run\/v1alpha1/,
    );
  });

  it('run --dry-run: prints the plan and the manifests, touches no cluster', async () => {
    const r = await probelab(['run', 'scenarios/quickstart.yaml', '--dry-run', '--run-id', 'dry']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /# Manifests/);
    assert.match(r.stdout, /kind: Deployment/);
    assert.match(r.stdout, /namespace: probelab-dry/);
  });

  it('validate: exit 0 for valid files', async () => {
    const r = await probelab(['validate', 'scenarios/quickstart.yaml', 'scenarios/hpa-scale-up.yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /quickstart.yaml: valid/);
  });

  it('validate: exit 1 and every problem of every file', async () => {
    const r = await probelab([
      'validate',
      'test/fixtures/malformed/01-unknown-keys.yaml',
      'test/fixtures/malformed/06-hpa-bounds.yaml',
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.split('\n').filter((l) => l.includes('.yaml:')).length, 5);
    assert.match(r.stderr, /2 of 2 files invalid/);
  });

  it('validate: a missing file is an error naming the file', async () => {
    const r = await probelab(['validate', 'scenarios/nope.yaml']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'error: cannot read scenarios/nope.yaml: no such file\n');
  });

  it('usage errors exit 2', async () => {
    assert.equal((await probelab(['frobnicate'])).code, 2);
    assert.equal((await probelab(['validate'])).code, 2);
    const badId = await probelab(['render', 'scenarios/quickstart.yaml', '--run-id', 'Not_Valid']);
    assert.equal(badId.code, 2);
    assert.match(badId.stderr, /--run-id/);
  });

  it('--help lists every command and the exit codes', async () => {
    const r = await probelab(['--help']);
    assert.equal(r.code, 0);
    for (const command of ['validate', 'render', 'lint', 'schema', 'quickstart'])
      assert.match(r.stdout, new RegExp(`\\b${command}\\b`));
    assert.match(r.stdout, /Exit codes:/);
  });

  it('render is deterministic and labels every object with the run id', async () => {
    const a = await probelab(['render', 'scenarios/quickstart.yaml', '--run-id', 'r1', '-o', 'json']);
    const b = await probelab(['render', 'scenarios/quickstart.yaml', '--run-id', 'r1', '-o', 'json']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    const rendered = JSON.parse(a.stdout) as {
      objects: { metadata: { labels: Record<string, string> } }[];
      timeline: { objects: { metadata: { labels: Record<string, string> } }[] }[];
    };
    const all = [...rendered.objects, ...rendered.timeline.flatMap((t) => t.objects)];
    assert.ok(all.length > 5);
    for (const o of all) assert.equal(o.metadata.labels['probelab.dev/run-id'], 'r1');
  });

  it('render refuses an invalid scenario and applies nothing', async () => {
    const r = await probelab(['render', 'test/fixtures/malformed/07-chaos-outside-load.yaml']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /is not a valid scenario/);
  });

  it('lint: --fail-on decides the exit code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'probelab-cli-'));
    writeFileSync(join(dir, 'warn.yaml'), workloadWith({ probes: { readiness: null } }));
    assert.equal((await probelab(['lint', 'warn.yaml'], dir)).code, 0);
    const strict = await probelab(['lint', 'warn.yaml', '--fail-on', 'warning'], dir);
    assert.equal(strict.code, 1);
    assert.match(
      strict.stdout,
      /warn.yaml:\d+ workloads\[0\]\.probes\.readiness: warning no-readiness-probe/,
    );
  });

  it('lint: exit 1 on an error finding, with why and fix', async () => {
    const r = await probelab(['lint', 'scenarios/liveness-dependency.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /error liveness-checks-dependency \(api-dependency\)/);
    assert.match(r.stdout, /\n {2}why: /);
    assert.match(r.stdout, /\n {2}fix: /);
  });
});
