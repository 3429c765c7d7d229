/**
 * Kubernetes resource quantities (the subset scenarios use): CPU in cores or millicores (`500m`, `0.5`, `2`)
 * and byte sizes with binary or decimal suffixes (`64Mi`, `1G`, `1024`).
 */

const quantityPattern = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;
const factors: Record<string, number> = {
  '': 1,
  m: 0.001,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** QUANTITY_FORMAT describes the accepted form, for error messages. */
export const QUANTITY_FORMAT = 'a Kubernetes quantity like 250m, 0.5, 64Mi or 1Gi';

/** parseQuantity returns the quantity's value in base units (cores or bytes), or undefined. */
export function parseQuantity(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = quantityPattern.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * (factors[match[2] ?? ''] as number);
}

/** cpuMillicores converts a CPU quantity to millicores, or undefined when it does not parse. */
export function cpuMillicores(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const cores = parseQuantity(value);
  return cores === undefined ? undefined : Math.round(cores * 1000);
}
