/**
 * How a run shows its progress, chosen at the edge: redrawn in place on a terminal, plain timestamped
 * lines every PLAIN_EVERY snapshots in CI or a log (or with --no-progress: none), JSON lines on stdout
 * with --output json. NO_COLOR (any value) turns colour off.
 */
import { formatProgress, formatProgressPlain, type ProgressSnapshot } from '../core/progress.ts';
import type { IO, Output } from './io.ts';

/** PLAIN_EVERY: a plain progress line every this many snapshots (10 s). */
export const PLAIN_EVERY = 10;

export interface ProgressDisplay {
  /** out: stderr, wrapped so that other lines do not collide with the progress line. */
  out: Output;
  onSnapshot?: (snapshot: ProgressSnapshot) => void;
  /** done removes the progress line. */
  done(): void;
}

export function progressDisplay(
  io: IO,
  options: { progress: boolean; output: 'text' | 'json' },
): ProgressDisplay {
  if (options.output === 'json')
    return {
      out: io.stderr,
      onSnapshot: (s) => io.stdout.write(`${JSON.stringify({ type: 'progress', ...s })}\n`),
      done: () => undefined,
    };
  if (!options.progress) return { out: io.stderr, done: () => undefined };
  const terminal = io.stderr.isTTY === true && io.env.CI !== 'true';
  if (!terminal) {
    let n = 0;
    return {
      out: io.stderr,
      onSnapshot: (s) => void (n++ % PLAIN_EVERY === 0 && io.stderr.write(`${formatProgressPlain(s)}\n`)),
      done: () => undefined,
    };
  }
  const color = io.env.NO_COLOR === undefined;
  let line = '';
  const clear = () => line && io.stderr.write('\r\x1b[2K');
  const draw = () => line && io.stderr.write(line);
  return {
    out: {
      isTTY: true,
      columns: io.stderr.columns,
      write: (text) => {
        clear();
        io.stderr.write(text);
        draw();
      },
    },
    onSnapshot: (s) => {
      clear();
      line = fit(formatProgress(s, { color }), io.stderr.columns ?? 120);
      draw();
    },
    done: () => {
      clear();
      line = '';
    },
  };
}

/** fit cuts a line to the terminal's width, counting only visible characters (not colour codes). */
export function fit(text: string, columns: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\x1b') {
      const end = text.indexOf('m', i);
      out += text.slice(i, end + 1);
      i = end;
      continue;
    }
    if (visible >= columns - 1) {
      out += '…';
      break;
    }
    out += text[i];
    visible++;
  }
  return out.includes('\x1b') ? `${out}\x1b[0m` : out;
}
