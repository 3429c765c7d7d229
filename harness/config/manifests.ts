/**
 * Reading Kubernetes manifests (multi-document YAML) for `probelab lint`: every document that is a
 * Kubernetes object, with the line it starts on. Pure: the caller reads the file.
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import type { KubernetesObject } from '../core/render.ts';
import { isPlainObject } from '../core/merge.ts';
import type { Problem } from '../core/problems.ts';

export interface LocatedObject {
  object: KubernetesObject;
  line: number;
}

export function parseManifests(text: string): { objects: LocatedObject[]; problems: Problem[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const objects: LocatedObject[] = [];
  const problems: Problem[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const line = lineCounter.linePos(doc.range[0]).line;
    if (doc.errors.length > 0) {
      for (const e of doc.errors)
        problems.push({
          path: [],
          message: `invalid YAML: ${e.message.split('\n')[0]}`,
          severity: 'error',
          line: lineCounter.linePos(e.pos[0]).line,
        });
      continue;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const flatten =
      isPlainObject(value) && value.kind === 'List' && Array.isArray(value.items) ? value.items : [value];
    for (const item of flatten) {
      if (
        !isPlainObject(item) ||
        typeof item.apiVersion !== 'string' ||
        typeof item.kind !== 'string' ||
        !isPlainObject(item.metadata)
      ) {
        problems.push({
          path: [],
          message: 'not a Kubernetes object: needs apiVersion, kind and metadata',
          severity: 'error',
          line,
        });
        continue;
      }
      const metadata = { labels: {}, ...item.metadata } as KubernetesObject['metadata'];
      objects.push({ object: { ...item, metadata } as KubernetesObject, line });
    }
  }
  return { objects, problems };
}

/** looksLikeScenario tells a scenario file from a manifest file by its apiVersion. */
export function looksLikeScenario(text: string): boolean {
  return /^apiVersion:\s*["']?probelab\.dev\//m.test(text);
}
