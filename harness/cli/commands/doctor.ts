/** `probelab doctor`: can this host run probelab, and what to do where it cannot. */
import { doctorPassed, judgeHost, type DoctorStatus } from '../../core/doctor.ts';
import { gatherHostFacts } from '../../adapters/host.ts';
import { pathsFor } from '../../adapters/paths.ts';
import { EXIT, type IO } from '../io.ts';
import { NODE_PORTS } from './defaults.ts';

const mark: Record<DoctorStatus, string> = { ok: '✓', warn: '!', fail: '✗' };

export async function doctorCommand(io: IO, output: 'text' | 'json'): Promise<number> {
  const paths = pathsFor(io.cwd, io.env);
  const lines = judgeHost(
    await gatherHostFacts({ cacheDir: paths.cache, binDir: paths.bin, ports: NODE_PORTS }),
  );
  if (output === 'json') io.stdout.write(`${JSON.stringify(lines, null, 2)}\n`);
  else
    for (const line of lines) {
      io.stdout.write(`${mark[line.status]} ${line.check}: ${line.detail}\n`);
      if (line.fix && line.status !== 'ok') io.stdout.write(`    fix: ${line.fix}\n`);
    }
  return doctorPassed(lines) ? EXIT.ok : EXIT.failed;
}
