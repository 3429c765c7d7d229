/**
 * Durations as scenario files write them: one or more `<number><unit>` parts, units h, m, s, ms
 * (for example `90s`, `1m30s`, `500ms`, `1.5s`). A bare `0` is accepted as zero.
 * Parsed once into milliseconds; everything downstream works in milliseconds.
 */

const partPattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
const unitMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** DURATION_FORMAT describes the accepted form, for error messages. */
export const DURATION_FORMAT = 'a duration like 30s, 1m30s, 500ms or 1.5s';

/** parseDuration returns milliseconds, or undefined when text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text.length === 0) return undefined;
  let total = 0;
  partPattern.lastIndex = 0;
  while (partPattern.lastIndex < text.length) {
    const match = partPattern.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * (unitMs[match[2] as string] as number);
  }
  return Math.round(total);
}

/** durationMs parses a duration that validation has already accepted; it throws on anything else. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`internal: unvalidated duration ${JSON.stringify(text)}`);
  return ms;
}

/** formatDuration renders milliseconds the way a person reads them: 1m30s, 2.5s, 250ms. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  let out = '';
  if (hours) out += `${hours}h`;
  if (minutes) out += `${minutes}m`;
  if (seconds) out += `${Number.isInteger(seconds) ? seconds : seconds.toFixed(3).replace(/0+$/, '')}s`;
  return out;
}
