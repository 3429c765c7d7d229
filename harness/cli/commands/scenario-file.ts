/** Shared by commands that need one valid scenario: load it or print its problems and stop. */
import { loadScenario, type LoadResult } from '../../config/load.ts';
import type { ScenarioModel } from '../../core/model.ts';
import { formatProblem } from '../../core/problems.ts';
import { UserError } from '../../core/errors.ts';
import { readText } from '../../adapters/files.ts';
import type { IO } from '../io.ts';

export async function readScenario(
  file: string,
  io: IO,
): Promise<{ model: ScenarioModel; lineOf: LoadResult['lineOf'] }> {
  const result = loadScenario(await readText(io.cwd, file));
  for (const problem of result.problems) io.stderr.write(`${formatProblem(file, problem)}\n`);
  if (!result.model)
    throw new UserError(
      `${file} is not a valid scenario; fix the problems above (probelab validate ${file})`,
    );
  return { model: result.model, lineOf: result.lineOf };
}
