/**
 * Deep merge for variant overrides. Contract: objects merge key by key, recursively; arrays and
 * scalars replace; a null value removes the key (so an override can drop, say, a startup probe).
 * Inputs are never mutated.
 */

type Plain = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function mergeOverrides(base: unknown, overrides: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(overrides)) return overrides;
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) delete out[key];
    else out[key] = mergeOverrides(base[key], value);
  }
  return out;
}

/** nestPath turns `probes.liveness.periodSeconds` and a value into `{probes: {liveness: {periodSeconds: v}}}`. */
export function nestPath(dottedPath: string, value: unknown): Plain {
  const keys = dottedPath.split('.');
  let out: unknown = value;
  for (const key of keys.reverse()) out = { [key]: out };
  return out as Plain;
}

/** hasPath reports whether obj has a value (including null) at path. */
export function hasPath(obj: unknown, path: readonly (string | number)[]): boolean {
  let current: unknown = obj;
  for (const key of path) {
    if (!isPlainObject(current) && !Array.isArray(current)) return false;
    if (!(key in (current as object))) return false;
    current = (current as Record<string | number, unknown>)[key];
  }
  return true;
}
