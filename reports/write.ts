/**
 * writeReports: every file a run directory's reports consist of, from one run.json value — run.json,
 * summary.md (with the key charts as SVG files under charts/), junit.xml and report.html. Used by
 * `probelab run` and `probelab report`, so both always produce the same set. run.json, summary.md and
 * junit.xml are written before anything that renders charts, so a chart failure cannot cost them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderChartSvgs, type ChartKind, type ChartSvg } from './charts.ts';
import { renderHtmlWith } from './html.ts';
import { renderJunit, renderSummary, type RunReport, type SummaryChart } from './render.ts';

/** SUMMARY_CHART_KINDS: the charts summary.md shows (report.html shows them all). */
const SUMMARY_CHART_KINDS: ReadonlySet<ChartKind> = new Set(['timeline', 'compare', 'scale-up']);

export interface WrittenReports {
  json: string;
  summary: string;
  junit: string;
  html?: string;
  charts: string[];
  /** problems: what could not be rendered (the other files are written regardless). */
  problems: string[];
}

export async function writeReports(
  dir: string,
  report: RunReport,
  options: { writeJson: boolean },
): Promise<WrittenReports> {
  await mkdir(dir, { recursive: true });
  const files: WrittenReports = {
    json: join(dir, 'run.json'),
    summary: join(dir, 'summary.md'),
    junit: join(dir, 'junit.xml'),
    charts: [],
    problems: [],
  };
  if (options.writeJson) await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(files.summary, renderSummary(report));
  await writeFile(files.junit, renderJunit(report));
  // Rendered once for both summary.md and report.html.
  let charts: ChartSvg[] | undefined;
  try {
    const summaryCharts: SummaryChart[] = [];
    await mkdir(join(dir, 'charts'), { recursive: true });
    charts = await renderChartSvgs(report);
    for (const chart of charts) {
      if (!SUMMARY_CHART_KINDS.has(chart.kind)) continue;
      const file = `charts/${chart.id}.svg`;
      await writeFile(join(dir, file), chart.svg);
      files.charts.push(join(dir, file));
      summaryCharts.push({ title: chart.title, file });
    }
    await writeFile(files.summary, renderSummary(report, summaryCharts));
  } catch (error) {
    files.problems.push(`charts for summary.md: ${String(error)}`);
  }
  try {
    files.html = join(dir, 'report.html');
    await writeFile(files.html, renderHtmlWith(report, charts ?? (await renderChartSvgs(report))));
  } catch (error) {
    delete files.html;
    files.problems.push(`report.html: ${String(error)}`);
  }
  return files;
}
