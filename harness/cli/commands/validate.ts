/** `probelab validate <file>…`: every problem of every file, then a one-line summary. */
import { loadScenario } from '../../config/load.ts';
import { formatProblem, hasErrors } from '../../core/problems.ts';
import { readText } from '../../adapters/files.ts';
import { EXIT, type IO } from '../io.ts';

export async function validateCommand(files: string[], io: IO): Promise<number> {
  let failed = 0;
  for (const file of files) {
    const { problems } = loadScenario(await readText(io.cwd, file));
    for (const problem of problems) io.stderr.write(`${formatProblem(file, problem)}\n`);
    if (hasErrors(problems)) failed++;
    else
      io.stdout.write(
        `${file}: valid${problems.length ? ` (${problems.length} warning${problems.length === 1 ? '' : 's'})` : ''}\n`,
      );
  }
  if (failed > 0)
    io.stderr.write(`${failed} of ${files.length} file${files.length === 1 ? '' : 's'} invalid\n`);
  return failed > 0 ? EXIT.failed : EXIT.ok;
}
