/**
 * `probelab baseline promote <run-dir> <baseline-dir>`: keep a run (every repeat) as the baseline later
 * runs are compared against (`probelab compare --baseline <baseline-dir> <run>`). Copies each run.json
 * byte for byte as <run id>.run.json and writes baseline.json (scenario, run id, date, the files). A
 * baseline directory promoted earlier is replaced; any other non-empty directory is refused. Files only.
 */
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import type { IO } from '../io.ts';
import {
  asBadInput,
  BASELINE_MANIFEST,
  BASELINE_VERSION,
  COMPARE_EXIT,
  loadRuns,
  readManifest,
  type BaselineManifest,
} from './compare.ts';

export async function baselinePromoteCommand(
  runTarget: string,
  baselineTarget: string,
  io: IO,
  now: () => Date = () => new Date(),
): Promise<number> {
  return asBadInput(io, async () => {
    const source = await loadRuns(runTarget, io);
    if (source.manifest)
      throw new UserError(
        `${runTarget} is a baseline directory already; promote the run directory it came from (${source.manifest.source})`,
      );
    const scenarios = [...new Set(source.runs.map((r) => r.scenario))];
    if (scenarios.length > 1)
      throw new UserError(
        `${runTarget}: its runs are of different scenarios (${scenarios.join(', ')}); a baseline holds runs of one scenario`,
      );
    const ids = source.runs.map((r) => r.runId);
    const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
    if (duplicate)
      throw new UserError(
        `${runTarget}: two run.json files have the run id ${duplicate}; give one run's directory`,
      );
    for (const id of ids)
      if (!/^[A-Za-z0-9][-.A-Za-z0-9_]*$/.test(id))
        throw new UserError(
          `${runTarget}: runId: ${JSON.stringify(id)} cannot name a file; it is not a probelab run id`,
        );

    const dir = resolve(io.cwd, baselineTarget);
    const shown = relative(io.cwd, dir) || '.';
    await mkdir(dir, { recursive: true });
    const names = await readdir(dir);
    let replaced: BaselineManifest | undefined;
    if (names.includes(BASELINE_MANIFEST)) {
      replaced = await readManifest(join(dir, BASELINE_MANIFEST), io);
      for (const r of replaced?.runs ?? []) await rm(join(dir, r.file), { force: true });
    } else if (names.length)
      throw new UserError(
        `${shown} is not empty and holds no ${BASELINE_MANIFEST}; give a new or empty directory, or a baseline directory promoted earlier`,
      );

    const runs: BaselineManifest['runs'] = [];
    for (const [i, report] of source.runs.entries()) {
      const file = `${report.runId}.run.json`;
      await copyFile(source.files[i] as string, join(dir, file));
      runs.push({ file, runId: report.runId, startedAt: report.startedAt, outcome: report.verdict.outcome });
    }
    const manifest: BaselineManifest = {
      version: BASELINE_VERSION,
      scenario: scenarios[0] as string,
      runId: source.runs.length === 1 ? (source.runs[0]?.runId as string) : basename(source.dir),
      promotedAt: now().toISOString(),
      source: relative(io.cwd, source.dir) || '.',
      runs,
    };
    await writeFile(join(dir, BASELINE_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    io.stdout.write(
      `promoted ${manifest.scenario} run ${manifest.runId} (${runs.length} run${runs.length === 1 ? '' : 's'}) to ${shown}${
        replaced ? `, replacing run ${replaced.runId} (promoted ${replaced.promotedAt})` : ''
      }; compare with: probelab compare --baseline ${shown} <run-dir>\n`,
    );
    return COMPARE_EXIT.ok;
  });
}
