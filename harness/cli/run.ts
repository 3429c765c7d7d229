/**
 * run: the whole CLI as a function of argv and IO, returning the exit code. Nothing here calls
 * process.exit or reads process.env; main.ts does that. Errors are printed once, here.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { UsageError, UserError } from '../core/errors.ts';
import { EXIT, type IO } from './io.ts';
import { NODE_PORTS, SAMPLE_IMAGE } from './commands/defaults.ts';

const EXIT_CODES_HELP = `
Exit codes:
  0   success
  1   invalid input, lint findings at or above --fail-on, or a failed check
  2   usage error (unknown command or flag, missing argument)
  70  internal error (a bug in probelab; please report it)`;

export async function run(argv: readonly string[], io: IO): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('probelab')
    .description('Load-and-chaos test harness for Kubernetes probes, shutdown and autoscaling.')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride()
    .addHelpText('after', EXIT_CODES_HELP);

  program
    .command('validate')
    .description('Check scenario files: schema and semantic rules, every problem at once.')
    .argument('<file...>', 'scenario files')
    .addHelpText('after', '\nExample:\n  probelab validate scenarios/*.yaml')
    .action(async (files: string[]) => {
      const { validateCommand } = await import('./commands/validate.ts');
      exitCode = await validateCommand(files, io);
    });

  program
    .command('render')
    .description('Print the Kubernetes manifests a run of the scenario would apply.')
    .argument('<file>', 'scenario file')
    .option('--run-id <id>', 'run id used in names and labels', runIdArg, 'preview')
    .option('--image <ref>', 'sample service image', SAMPLE_IMAGE)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .addHelpText(
      'after',
      '\nExample:\n  probelab render scenarios/quickstart.yaml --run-id demo | kubectl apply --dry-run=client -f -',
    )
    .action(async (file: string, opts: { runId: string; image: string; output: 'yaml' | 'json' }) => {
      const { renderCommand } = await import('./commands/render.ts');
      exitCode = await renderCommand(file, { ...opts, nodePorts: NODE_PORTS }, io);
    });

  program
    .command('plan')
    .description(
      'Print the steps a run of the scenario would take, and whether this host can inject each fault.',
    )
    .argument('<file>', 'scenario file')
    .option('--run-id <id>', 'run id used in names and labels', runIdArg, 'preview')
    .option('--no-host-check', 'do not test this host for the kernel features faults need')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      '\nExit code 1 when a run of this plan would be invalid here (a fault the kernel cannot inject).',
    )
    .action(async (file: string, opts: { runId: string; hostCheck: boolean; output: 'text' | 'json' }) => {
      const { planCommand } = await import('./commands/plan.ts');
      exitCode = await planCommand(file, opts, io);
    });

  program
    .command('lint')
    .description('Review probe, shutdown and autoscaling settings in scenario files or Kubernetes manifests.')
    .argument('<file...>', 'scenario files or multi-document manifest files')
    .addOption(
      new Option('--fail-on <severity>', 'lowest severity that fails')
        .choices(['error', 'warning', 'info'])
        .default('error'),
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      '\nExamples:\n  probelab lint scenarios/quickstart.yaml\n  kubectl get deploy,hpa -o yaml > live.yaml && probelab lint live.yaml',
    )
    .action(
      async (files: string[], opts: { failOn: 'error' | 'warning' | 'info'; output: 'text' | 'json' }) => {
        const { lintCommand } = await import('./commands/lint.ts');
        exitCode = await lintCommand(files, opts, io);
      },
    );

  program
    .command('schema')
    .description('Print the JSON Schema of the scenario format (for editor completion).')
    .action(async () => {
      const { schemaCommand } = await import('./commands/schema.ts');
      exitCode = schemaCommand(io);
    });

  const cluster = program
    .command('cluster')
    .description('Create, inspect and remove the kind cluster runs use.');
  const imagesOption = () =>
    new Option(
      '--images <source>',
      'local: build every image here (no registry needed); upstream: kind and add-on images from their registries',
    )
      .choices(['local', 'upstream'])
      .default(io.env.PROBELAB_IMAGES ?? 'local');
  cluster
    .command('up')
    .description(
      'Create (or reuse) the kind cluster from kind-config.yaml, install metrics-server, wait until nodes are Ready and metrics are served.',
    )
    .option('--name <name>', 'cluster name', 'probelab')
    .option('--config <file>', 'kind config', 'kind-config.yaml')
    .addOption(imagesOption())
    .option('--fresh', 'delete an existing cluster of that name first', false)
    .option('--keep-on-failure', 'leave a cluster whose creation failed, for debugging', false)
    .action(
      async (opts: {
        name: string;
        config: string;
        images: 'local' | 'upstream';
        fresh: boolean;
        keepOnFailure: boolean;
      }) => {
        const { clusterUpCommand } = await import('./commands/cluster.ts');
        exitCode = await clusterUpCommand(opts, io);
      },
    );
  cluster
    .command('down')
    .description('Delete the kind cluster and anything labelled with its name.')
    .option('--name <name>', 'cluster name', 'probelab')
    .action(async (opts: { name: string }) => {
      const { clusterDownCommand } = await import('./commands/cluster.ts');
      exitCode = await clusterDownCommand(opts.name, io);
    });
  cluster
    .command('status')
    .description(
      'Show the cluster found by its kind label: node containers, node readiness, resource metrics.',
    )
    .option('--name <name>', 'cluster name', 'probelab')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: { name: string; output: 'text' | 'json' }) => {
      const { clusterStatusCommand } = await import('./commands/cluster.ts');
      exitCode = await clusterStatusCommand(opts.name, opts.output, io);
    });

  program
    .command('run')
    .description(
      'Run a scenario on the kind cluster: deploy, load, timeline, verdict; reports in reports/out/<run id>/.',
    )
    .argument('<file>', 'scenario file')
    .option(
      '--run-id <id>',
      'run id used in names, labels and the report directory',
      runIdArg,
      `run-${Date.now().toString(36)}`,
    )
    .option('--retain', 'keep the run namespace afterwards (faults are removed regardless)', false)
    .option('--name <name>', 'kind cluster name (unless the scenario names one)', 'probelab')
    .option('--dry-run', 'print the plan and the manifests a run would apply, and stop (no cluster)', false)
    .option(
      '--no-progress',
      'no live progress (on a terminal it is redrawn in place; in CI plain lines every 10 s)',
    )
    .addOption(
      new Option('-o, --output <format>', 'text, or json: progress and the result as JSON lines on stdout')
        .choices(['text', 'json'])
        .default('text'),
    )
    .addOption(imagesOption())
    .addHelpText(
      'after',
      '\nExit codes: 0 passed; 1 an SLO failed; 2 the run is invalid; 3 configuration or infrastructure error; 130/143 interrupted.',
    )
    .action(
      async (
        file: string,
        opts: {
          runId: string;
          retain: boolean;
          name: string;
          images: 'local' | 'upstream';
          dryRun: boolean;
          progress: boolean;
          output: 'text' | 'json';
        },
      ) => {
        const { runCommand } = await import('./commands/run-scenario.ts');
        exitCode = await runCommand(file, opts, io);
      },
    );

  program
    .command('report')
    .description('Render the reports of a run again from its run.json, without a cluster.')
    .argument('<run-dir>', 'a run directory (reports/out/<run id>) or its run.json')
    .addHelpText('after', '\nExample:\n  probelab report reports/out/run-abc123')
    .action(async (dir: string) => {
      const { reportCommand } = await import('./commands/report.ts');
      exitCode = await reportCommand(dir, io);
    });

  program
    .command('compare')
    .description(
      'Compare a candidate run with a base run or a baseline, per variant and metric against tolerances; writes compare.md and compare.json.',
    )
    .usage('[options] <base-run> <candidate-run>  |  --baseline <dir> <candidate-run>')
    .argument(
      '[runs...]',
      'base then candidate: run directories, repeats directories (1/, 2/, …) or run.json files; with --baseline only the candidate',
    )
    .option('--baseline <dir>', 'compare against a baseline directory (see probelab baseline promote)')
    .option('--rules <file>', 'tolerance rules (kind: CompareRules) replacing the defaults per metric')
    .addOption(
      new Option('-o, --output <format>', 'text: the verdict; json: the comparison on stdout')
        .choices(['text', 'json'])
        .default('text'),
    )
    .option(
      '--out <dir>',
      'where to write compare.md and compare.json (default: the candidate run directory)',
    )
    .addOption(
      new Option('--fail-on <verdict>', 'lowest overall verdict that exits 1')
        .choices(['regression', 'inconclusive'])
        .default('regression'),
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 no regression; 1 a regression (or inconclusive, with --fail-on inconclusive); 2 usage error; 3 a run or rules file that cannot be used.\n\nExamples:\n  probelab compare reports/out/run-a reports/out/run-b\n  probelab compare --baseline baselines/quickstart reports/out/run-b --rules compare-rules.yaml',
    )
    .action(
      async (
        runs: string[],
        opts: {
          baseline?: string;
          rules?: string;
          output: 'text' | 'json';
          out?: string;
          failOn: 'regression' | 'inconclusive';
        },
      ) => {
        const { compareCommand } = await import('./commands/compare.ts');
        exitCode = await compareCommand(runs, opts, io);
      },
    );

  program
    .command('baseline')
    .description('Keep runs to compare later runs against.')
    .command('promote')
    .description(
      "Copy a run's run.json (every repeat) into a baseline directory with a manifest (baseline.json); replaces a baseline promoted there earlier.",
    )
    .argument('<run-dir>', 'a run directory, a repeats directory or a run.json')
    .argument('<baseline-dir>', 'the baseline directory (created if needed)')
    .addHelpText(
      'after',
      '\nExit code 3 when the run cannot be read or the directory holds other files.\n\nExample:\n  probelab baseline promote reports/out/run-a baselines/quickstart',
    )
    .action(async (runDir: string, baselineDir: string) => {
      const { baselinePromoteCommand } = await import('./commands/baseline.ts');
      exitCode = await baselinePromoteCommand(runDir, baselineDir, io);
    });

  program
    .command('suite')
    .description(
      'Run every scenario file of a directory in turn on one reused cluster, compare each with its baseline, and write an index.',
    )
    .argument('<dir>', 'a directory of scenario files (*.yaml), run in name order')
    .option(
      '--suite-id <id>',
      'id of the suite; runs are <id>-1, <id>-2, …',
      runIdArg,
      `suite-${Date.now().toString(36)}`,
    )
    .option(
      '--baselines <dir>',
      'one baseline directory per scenario name (probelab baseline promote)',
      'baselines',
    )
    .option('--name <name>', 'kind cluster name (unless a scenario names one)', 'probelab')
    .option('--no-progress', 'no live progress')
    .addOption(imagesOption())
    .addHelpText(
      'after',
      '\nIndex: reports/out/<suite id>/index.md and index.html. Exit code: the worst run exit code (0 passed, 1 failed, 2 invalid, 3 error), at least 1 when a run regressed against its baseline; 130 interrupted.',
    )
    .action(
      async (
        dir: string,
        opts: {
          suiteId: string;
          baselines: string;
          name: string;
          images: 'local' | 'upstream';
          progress: boolean;
        },
      ) => {
        const { suiteCommand } = await import('./commands/suite.ts');
        exitCode = await suiteCommand(dir, opts, io);
      },
    );

  program
    .command('fault')
    .description(
      'Try one chaos entry of a scenario on the cluster: deploy, inject, judge, hold, remove, verify nothing remains.',
    )
    .argument('<file>', 'scenario file')
    .requiredOption('--entry <index>', 'index of the chaos entry in the timeline (0-based)', indexArg)
    .option('--run-id <id>', 'run id used in names and labels', runIdArg, `fault-${Date.now().toString(36)}`)
    .option(
      '--hold <seconds>',
      'how long to keep the fault once injected (default: its duration, at most 60)',
      indexArg,
    )
    .option('--keep', 'keep the run namespace afterwards (chaos resources are removed regardless)', false)
    .option('--name <name>', 'cluster name', 'probelab')
    .addOption(imagesOption())
    .addHelpText('after', '\nExit code 1 when the fault could not be injected here or left something behind.')
    .action(
      async (
        file: string,
        opts: {
          entry: number;
          runId: string;
          hold?: number;
          keep: boolean;
          name: string;
          images: 'local' | 'upstream';
        },
      ) => {
        const { faultCommand } = await import('./commands/cluster.ts');
        exitCode = await faultCommand(
          file,
          { ...opts, ...(opts.hold !== undefined ? { hold: opts.hold * 1000 } : {}) },
          io,
        );
      },
    );

  program
    .command('clean')
    .description(
      'Remove what runs left in the cluster, found by label app.kubernetes.io/managed-by=probelab: Chaos Mesh resources first (recovered, forced only as a last resort), then run namespaces.',
    )
    .option('--name <name>', 'cluster name', 'probelab')
    .option('--run <id>', 'only what this run created')
    .option('--dry-run', 'list, do not delete', false)
    .action(async (opts: { name: string; run?: string; dryRun: boolean }) => {
      const { cleanCommand } = await import('./commands/cluster.ts');
      exitCode = await cleanCommand(
        { name: opts.name, dryRun: opts.dryRun, ...(opts.run ? { runId: opts.run } : {}) },
        io,
      );
    });

  program
    .command('images')
    .description('Build images.')
    .command('build')
    .description(
      'Build (or find cached) every image a cluster needs: engine, kind, Kubernetes components, node image, sample service.',
    )
    .addOption(imagesOption())
    .action(async (opts: { images: 'local' | 'upstream' }) => {
      const { imagesBuildCommand } = await import('./commands/cluster.ts');
      exitCode = await imagesBuildCommand(opts.images, io);
    });

  program
    .command('doctor')
    .description(
      'Check this host: container engine, tools, cgroups, kernel features chaos needs, disk, ports.',
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: { output: 'text' | 'json' }) => {
      const { doctorCommand } = await import('./commands/doctor.ts');
      exitCode = await doctorCommand(io, opts.output);
    });

  program
    .command('quickstart')
    .description('The main job: validate, review and render the quickstart scenario.')
    .action(async () => {
      const { quickstartCommand } = await import('./commands/quickstart.ts');
      exitCode = await quickstartCommand(io);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    return present(err, io);
  }
}

function indexArg(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number (0, 1, 2, …).');
  return Number(value);
}

function runIdArg(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/.test(value))
    throw new InvalidArgumentError(
      'must be 1-40 lowercase letters, digits and "-", starting and ending alphanumeric.',
    );
  return value;
}

/** present prints an error once and maps it to an exit code. */
function present(err: unknown, io: IO): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message (or the help/version text).
    if (
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help'
    )
      return EXIT.ok;
    return EXIT.usage;
  }
  if (err instanceof UsageError) {
    io.stderr.write(`error: ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof UserError) {
    io.stderr.write(`error: ${err.message}\n`);
    return EXIT.failed;
  }
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  io.stderr.write(`internal error (a bug in probelab, please report it):\n${detail}\n`);
  return EXIT.internal;
}
