/**
 * `probelab report <run-dir>`: render summary.md, junit.xml and report.html (charts as inline SVG, no
 * script, opens offline) again from a run's run.json, without a cluster (after a renderer changed, or
 * from a run.json copied out of CI).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { RUN_REPORT_VERSION, type RunReport } from '../../../reports/render.ts';
import { writeReports } from '../../../reports/write.ts';
import { UserError } from '../../core/errors.ts';
import { EXIT, type IO } from '../io.ts';

export async function reportCommand(target: string, io: IO): Promise<number> {
  const path = resolve(io.cwd, target);
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => {
      throw new UserError(
        `${target}: no such run directory or file; give reports/out/<run id> or its run.json`,
      );
    },
  );
  const file = isDir ? join(path, 'run.json') : path;
  const dir = isDir ? path : dirname(path);
  const text = await readFile(file, 'utf8').catch(() => {
    throw new UserError(`${relative(io.cwd, file)}: not found; a run directory holds run.json`);
  });
  let report: RunReport;
  try {
    report = JSON.parse(text) as RunReport;
  } catch (error) {
    throw new UserError(`${relative(io.cwd, file)}: not JSON (${(error as Error).message})`);
  }
  if (report?.version !== RUN_REPORT_VERSION)
    throw new UserError(
      `${relative(io.cwd, file)}: version: ${JSON.stringify(report?.version)} is not supported, allowed: ${RUN_REPORT_VERSION}`,
    );
  const written = await writeReports(dir, report, { writeJson: false });
  for (const problem of written.problems) io.stderr.write(`could not render ${problem}\n`);
  const names = [written.summary, written.junit, ...(written.html ? [written.html] : []), ...written.charts];
  io.stdout.write(
    `${report.verdict.outcome.toUpperCase()}: ${report.scenario} run ${report.runId}; rendered ${names
      .map((name) => relative(io.cwd, name) || basename(name))
      .join(', ')}\n`,
  );
  if (written.problems.length) return EXIT.failed;
  return EXIT.ok;
}
