/**
 * report.html from real run.json files: self-contained (no script, no remote resource), verdict first,
 * one inline SVG per expected chart, and the run's own numbers in the charts' visible text. Structural
 * checks only: Vega's exact SVG may change between versions.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../harness/cli/run.ts';
import type { IO } from '../../harness/cli/io.ts';
import { chartSpecs, COLORS, renderSvg } from '../../reports/charts.ts';
import type { TopLevelSpec } from 'vega-lite';
import { renderChartSvgs, renderHtml } from '../../reports/html.ts';
import type { RunReport } from '../../reports/render.ts';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'runs');

function load(name: string): RunReport {
  return JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as RunReport;
}

/** The charts each fixture must show, in order (figure ids). */
const EXPECTED: Record<string, string[]> = {
  'autoscaling-steps.run.json': ['timeline-web', 'scale-up', 'startup', 'restarts', 'probes'],
  'startup-probe.run.json': [
    'timeline-liveness-only',
    'timeline-with-startup',
    'compare',
    'startup',
    'restarts',
    'probes',
  ],
};

/** figures: each <figure id=…> with its SVG and caption. */
function figures(html: string): { id: string; kind: string; svg: string; caption: string }[] {
  return [...html.matchAll(/<figure id="([^"]+)" data-chart="([^"]+)"[^>]*>([\s\S]*?)<\/figure>/g)].map(
    (m) => {
      const body = m[3] as string;
      return {
        id: m[1] as string,
        kind: m[2] as string,
        svg: /<svg[\s\S]*<\/svg>/.exec(body)?.[0] ?? '',
        caption: /<figcaption>([\s\S]*?)<\/figcaption>/.exec(body)?.[1] ?? '',
      };
    },
  );
}

/** svgTexts: the visible text of an SVG (its <text> elements), entities decoded. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([\s\S]*?)<\/text>/g)].map((m) =>
    (m[1] as string)
      .replace(/<[^>]+>/g, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&'),
  );
}

function assertSelfContained(html: string): void {
  assert.doesNotMatch(html, /<script/i, 'no script');
  assert.doesNotMatch(
    html,
    /<(link|iframe|object|embed|img|image|use|base|form)\b/i,
    'no element that loads a resource',
  );
  // attributes are only inside tags (text from run.json is escaped, so a "<" there is &lt;)
  for (const tag of html.match(/<[a-zA-Z][^>]*>/g) ?? []) {
    assert.doesNotMatch(tag, /\son\w+\s*=/i, `no event handler: ${tag.slice(0, 80)}`);
    assert.doesNotMatch(
      tag,
      /\b(src|href|xlink:href|action|srcset)\s*=/i,
      `no resource reference: ${tag.slice(0, 80)}`,
    );
  }
  assert.doesNotMatch(html, /url\(\s*["']?\s*(https?:)?\/\//i, 'no remote url()');
  assert.doesNotMatch(html, /@import/i, 'no @import');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
}

describe('report.html', function () {
  this.timeout(30_000);

  it('covers every run.json fixture', () => {
    assert.deepEqual(
      readdirSync(fixtures)
        .filter((f) => f.endsWith('.run.json'))
        .sort(),
      Object.keys(EXPECTED).sort(),
    );
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    describe(file, () => {
      let report: RunReport;
      let html: string;
      before(async () => {
        report = load(file);
        html = await renderHtml(report);
      });

      it('is a self-contained document with no script and no remote reference', () => {
        assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
        assert.match(html, /<\/html>\n$/);
        assertSelfContained(html);
      });

      it('opens with the verdict: outcome banner before the checks table, before any chart', () => {
        const label = report.verdict.outcome.toUpperCase();
        const banner = html.indexOf(`id="outcome"><strong>${label}</strong>`);
        assert.ok(banner > 0, `banner ${label}`);
        assert.ok(banner < html.indexOf('<table id="checks">'));
        assert.ok(html.indexOf('<table id="checks">') < html.indexOf('<figure'));
        const checks = /<table id="checks">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
        assert.equal((checks.match(/<tr>/g) ?? []).length, report.verdict.checks.length + 1);
        for (const c of report.verdict.checks) {
          assert.ok(checks.includes(`<code>${c.name}</code></td><td>${c.variant}</td>`), c.name);
          assert.ok(checks.includes(`>${c.status}</td>`) || c.status === 'not-evaluated');
        }
      });

      it(`has one inline SVG per expected chart (${expected.length})`, () => {
        const figs = figures(html);
        assert.deepEqual(
          figs.map((f) => f.id),
          expected,
        );
        assert.equal((html.match(/<svg/g) ?? []).length, expected.length);
        for (const f of figs) {
          assert.match(
            f.svg,
            /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* width="\d+(\.\d+)?" height="\d+/,
          );
          assert.ok(f.svg.length > 2000, `${f.id} is a real chart`);
          assert.match(f.caption, /\S{10}/, `${f.id} has a caption`);
        }
      });

      it('every chart caption names its timestamp sources', () => {
        for (const f of figures(html)) {
          if (f.kind === 'timeline') {
            assert.match(f.caption, /k6 point time|arrival \(host wall clock, 1 ms\)/, f.id);
            assert.ok(f.caption.includes('t = 0 is the load start'), f.id);
          }
          if (f.kind === 'compare') assert.match(f.caption, /k6 point time/);
          if (f.kind === 'scale-up')
            assert.ok(
              f.caption.includes('reaction: load start + planned step offset (host wall clock, 1 ms)'),
            );
          if (f.kind === 'startup' || f.kind === 'restarts' || f.kind === 'probes')
            assert.ok(f.caption.includes('arrival (host wall clock, 1 ms)'), f.id);
        }
        assert.ok(html.includes(report.clocks.replace(/&/g, '&amp;')), 'report.clocks is shown');
      });

      it('ids are unique across the whole document (several SVGs in one page)', () => {
        const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
        assert.equal(new Set(ids).size, ids.length);
      });

      it('is deterministic', async () => {
        assert.equal(await renderHtml(report), html);
      });
    });
  }

  it('autoscaling-steps: the scale-up reactions, latencies and floors are in the chart, desired replicas on the timeline', async () => {
    const report = load('autoscaling-steps.run.json');
    const html = await renderHtml(report);
    const figs = figures(html);
    const scaleUp = figs.find((f) => f.id === 'scale-up') as { svg: string };
    const texts = svgTexts(scaleUp.svg).join('\n');
    const v = report.metrics?.variants[0];
    assert.ok(v?.scaling.defined);
    const scaled = v.scaling.scaleUp.filter((s) => s.outcome === 'scaled');
    // The fixture's numbers, stated once so that a changed fixture is noticed.
    assert.deepEqual(
      scaled.map((s) => [s.step, s.reaction.ms, s.scaleUpLatency.ms]),
      [
        [1, 42926, 44891],
        [2, 28083, 30314],
        [3, 13212, 30627],
      ],
    );
    for (const [reaction, latency] of [
      ['42.9 s', '44.9 s'],
      ['28.1 s', '30.3 s'],
      ['13.2 s', '30.6 s'],
    ])
      assert.ok(texts.includes(`${latency} (reaction ${reaction}`), `${latency} / ${reaction} in\n${texts}`);
    assert.equal((texts.match(/floor 15\.0 s/g) ?? []).length, 3);
    assert.ok(texts.includes('recovered 1.9 s'));
    assert.match(texts, /step 0 \(0 → 5 rps\)[\s\S]*no scale-up/);
    // one bar segment per part: a reaction and a floor per scaled step, one SLO recovery > 0
    const bars =
      /class="mark-rect role-mark scaleup_bars_marks"[^>]*>([\s\S]*?)<\/g>/.exec(scaleUp.svg)?.[1] ?? '';
    const fills = (key: string) => (bars.match(new RegExp(`fill="${COLORS[key]}"`, 'g')) ?? []).length;
    assert.equal(fills('reaction'), 3);
    assert.equal(fills('floor: reaction'), 3);
    assert.equal(fills('in EndpointSlice'), 3);
    assert.equal(fills('SLO recovery'), 1);
    // the HTML table repeats them as text
    const table = /<table id="scale-up-table">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
    for (const t of ['42.9 s', '28.1 s', '13.2 s', '44.9 s', '30.3 s', '30.6 s'])
      assert.ok(table.includes(t), t);

    const timeline = (figs.find((f) => f.id === 'timeline-web') as { svg: string }).svg;
    const desired = /class="mark-line role-mark [^"]*series_HPA_desired[^"]*"/.test(timeline);
    assert.ok(desired, 'HPA desired line');
    // the desired values 2, 4, 7, 8, 10 are the y positions' labels: the replicas axis reaches 10
    assert.ok(svgTexts(timeline).includes('10'));
    assert.ok(/series_target_rps/.test(timeline) && /series_achieved_rps/.test(timeline));
    assert.ok(/series_p95_latency/.test(timeline) && /series_error_rate/.test(timeline));
    assert.ok(!/restarts_marks/.test(timeline), 'no restart, no restart marks');
  });

  it('startup-probe: the liveness restarts are marked on the timeline and counted by cause', async () => {
    const report = load('startup-probe.run.json');
    const html = await renderHtml(report);
    const figs = figures(html);
    const liveness = report.metrics?.variants.find((v) => v.variant === 'liveness-only');
    assert.equal(liveness?.restarts.total, 4);
    assert.equal(liveness?.restarts.byCause.liveness, 4);

    const timeline = (figs.find((f) => f.id === 'timeline-liveness-only') as { svg: string; caption: string })
      .svg;
    const rules = [...timeline.matchAll(/class="mark-rule role-mark restarts_marks"[^>]*>([\s\S]*?)<\/g>/g)];
    assert.ok(rules.length >= 3, 'restart marks on every panel');
    for (const r of rules) {
      const lines = (r[1] as string).match(/<line[^>]*>/g) ?? [];
      assert.equal(lines.length, 4, 'one mark per restart');
      for (const l of lines)
        assert.ok(l.includes(`stroke="${COLORS['restart: liveness']}"`), 'coloured by cause');
    }
    const caption = (figs.find((f) => f.id === 'timeline-liveness-only') as { caption: string }).caption;
    assert.ok(caption.includes('4 restart(s) (liveness 4; 4 probable false kill(s))'), caption);
    assert.ok(caption.includes('none of the 1 pod(s) of this variant ever became Ready'), caption);
    const withStartup = (figs.find((f) => f.id === 'timeline-with-startup') as { svg: string }).svg;
    assert.ok(!/restarts_marks/.test(withStartup));

    const restarts = figs.find((f) => f.id === 'restarts') as { svg: string };
    const texts = svgTexts(restarts.svg);
    assert.ok(texts.includes('4 restarts (4 probable false kills)'), texts.join(' | '));
    assert.ok(texts.includes('0 restarts'));
    assert.ok(restarts.svg.includes(`fill="${COLORS['restart: liveness']}"`), 'same colour for the cause');

    const probes = svgTexts((figs.find((f) => f.id === 'probes') as { svg: string }).svg);
    assert.ok(probes.includes('liveness 8, readiness 15'), probes.join(' | '));
    assert.ok(probes.includes('startup 6'));

    const compare = figs.find((f) => f.id === 'compare') as { caption: string; svg: string };
    assert.ok(compare.caption.includes('liveness-only: 299 requests, 299 failed (100.0 %)'), compare.caption);
    assert.ok(
      svgTexts(compare.svg).includes('liveness-only') && svgTexts(compare.svg).includes('with-startup'),
    );

    const startup = svgTexts((figs.find((f) => f.id === 'startup') as { svg: string }).svg).join('\n');
    assert.ok(startup.includes('never reached by 1 pod(s) (n=0)'), startup);
    assert.ok(startup.includes('p50 12.9 s'), startup);
    assert.ok(html.includes('liveness-only: container sample: CrashLoopBackOff, 2 restart(s)'));
  });

  it('every time chart shares one x axis: the same domain in every panel and every variant', () => {
    for (const file of Object.keys(EXPECTED)) {
      const domains = new Set<string>();
      const visit = (node: unknown, inTime: boolean): void => {
        if (Array.isArray(node)) return node.forEach((n) => visit(n, inTime));
        if (!node || typeof node !== 'object') return;
        const o = node as Record<string, unknown>;
        const x = (o.encoding as { x?: { scale?: { domain?: unknown } } } | undefined)?.x;
        if (inTime && x?.scale?.domain) domains.add(JSON.stringify(x.scale.domain));
        for (const v of Object.values(o)) visit(v, inTime);
      };
      const timed = chartSpecs(load(file)).filter((c) => c.kind === 'timeline' || c.kind === 'compare');
      for (const c of timed) {
        assert.equal(
          (c.spec as { resolve?: { scale?: { x?: string } } }).resolve?.scale?.x,
          'shared',
          `${file} ${c.id}`,
        );
        visit(c.spec, true);
      }
      assert.equal(domains.size, 1, `${file}: ${[...domains].join(' ')}`);
    }
  });

  it('escapes every text from run.json, in the page and in the SVGs', async () => {
    const report = load('startup-probe.run.json');
    const evil = '<script>alert("x")</script>&';
    report.scenario = evil;
    report.runId = `r<img src=x onerror=alert(1)>`;
    report.verdict = {
      ...report.verdict,
      outcome: 'invalid',
      invalidReasons: [`reason ${evil}`],
      checks: report.verdict.checks.map((c) => ({ ...c, reason: evil, variant: c.variant })),
    };
    for (const s of report.series?.variants ?? []) if (s.variant === 'with-startup') s.variant = `w<b>"'&`;
    for (const v of report.metrics?.variants ?? []) if (v.variant === 'with-startup') v.variant = `w<b>"'&`;
    const html = await renderHtml(report);
    assertSelfContained(html);
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;'));
    assert.ok(html.includes('r&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(html.includes('id="outcome"><strong>INVALID</strong>'));
    assert.ok(html.includes('<li>reason &lt;script&gt;'));
    assert.ok(!html.includes('w<b>'), 'variant name escaped in SVG text too');
    assert.ok(html.includes('w&lt;b&gt;'));
  });

  it('an older run.json without metrics, and an aborted run without any data, still render', async () => {
    const old = load('startup-probe.run.json');
    delete old.metrics;
    const html = await renderHtml(old);
    assertSelfContained(html);
    assert.deepEqual(
      figures(html).map((f) => f.id),
      ['timeline-with-startup', 'timeline-liveness-only', 'compare', 'restarts'],
    );
    assert.ok(svgTexts(figures(html)[3]?.svg ?? '').includes('4 restarts'));

    const aborted: RunReport = {
      ...load('autoscaling-steps.run.json'),
      loadStartMs: undefined,
      series: undefined,
      metrics: undefined,
      restarts: [],
      error: 'interrupted by SIGINT',
      verdict: { outcome: 'aborted', checks: [], invalidReasons: [] },
    };
    const empty = await renderHtml(aborted);
    assertSelfContained(empty);
    assert.ok(empty.includes('<strong>ABORTED</strong>'));
    assert.ok(empty.includes('No chart: this run has no load series'));
    assert.ok(empty.includes('<strong>Error:</strong> interrupted by SIGINT'));
    assert.equal((empty.match(/<svg/g) ?? []).length, 0);
  });

  it('renderChartSvgs: standalone SVG strings for summary.md, with title and caption', async () => {
    const charts = await renderChartSvgs(load('autoscaling-steps.run.json'));
    assert.deepEqual(
      charts.map((c) => c.id),
      EXPECTED['autoscaling-steps.run.json'],
    );
    for (const c of charts) {
      assert.match(c.svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(c.svg, /<\/svg>$/);
      assert.ok(c.title && c.caption);
    }
  });

  it('renderSvg: clip-path ids are per chart, every reference resolves, and nothing depends on earlier renders', async () => {
    const spec = {
      data: {
        values: [
          { t: 0, v: 1 },
          { t: 5, v: 9 },
          { t: 20, v: 3 },
        ],
      },
      mark: { type: 'line', clip: true },
      encoding: {
        x: { field: 't', type: 'quantitative', scale: { domain: [0, 10] } },
        y: { field: 'v', type: 'quantitative' },
      },
    } as unknown as TopLevelSpec;
    const a = await renderSvg(spec, 'a');
    const b = await renderSvg(spec, 'b');
    const ids = (svg: string) => [...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    const refs = (svg: string) => [...svg.matchAll(/url\(#([^)]+)\)/g)].map((m) => m[1]);
    assert.ok(ids(a).length > 0 && refs(a).length > 0, 'the clipped mark has a clip path');
    assert.ok(ids(a).every((id) => id?.startsWith('a-')));
    assert.ok(ids(b).every((id) => id?.startsWith('b-')));
    for (const svg of [a, b])
      for (const r of refs(svg)) assert.ok(ids(svg).includes(r), `url(#${r}) resolves`);
    assert.equal(await renderSvg(spec, 'a'), a);
  });

  it('probelab report <run-dir> writes report.html next to summary.md', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'probelab-report-html-'));
    copyFileSync(join(fixtures, 'startup-probe.run.json'), join(dir, 'run.json'));
    let stdout = '';
    let stderr = '';
    const io: IO = {
      stdout: { write: (s) => void (stdout += s) },
      stderr: { write: (s) => void (stderr += s) },
      cwd: root,
      env: {},
      signal: new AbortController().signal,
    };
    assert.equal(await run(['report', dir], io), 0, stderr);
    assert.match(
      stdout,
      /^FAILED: startup-probe run proof-startup-1; rendered .*summary\.md, .*junit\.xml, .*report\.html(, .*charts\/[a-z0-9-]+\.svg)+\n$/,
    );
    assert.ok(existsSync(join(dir, 'summary.md')));
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    assert.equal((html.match(/<svg/g) ?? []).length, EXPECTED['startup-probe.run.json']?.length);
  });
});
