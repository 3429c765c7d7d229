/**
 * The shipped scenarios are documentation that must not rot: every file under scenarios/ loads without
 * errors, renders, and its golden manifests in test/golden match (UPDATE_GOLDEN=1 rewrites them).
 * The published JSON Schema must equal the one generated from the zod schema.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../../harness/config/load.ts';
import { scenarioJsonSchema } from '../../harness/config/json-schema.ts';
import { formatProblem } from '../../harness/core/problems.ts';
import { renderManifests } from '../../harness/core/render.ts';
import { renderedToYaml } from '../../harness/cli/commands/render.ts';
import { PREVIEW_RENDER_OPTIONS } from '../../harness/cli/commands/defaults.ts';

const root = join(import.meta.dirname, '..', '..');
const scenarioDir = join(root, 'scenarios');
const goldenDir = join(root, 'test', 'golden');
const scenarios = readdirSync(scenarioDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('shipped scenarios', () => {
  it('include the quickstart', () => assert.ok(scenarios.includes('quickstart.yaml')));
  for (const file of scenarios) {
    describe(file, () => {
      const result = loadScenario(readFileSync(join(scenarioDir, file), 'utf8'));
      it('loads without problems', () => {
        assert.deepEqual(
          result.problems.map((p) => formatProblem(file, p)),
          [],
        );
        assert.ok(result.model);
      });
      it('renders the golden manifests', () => {
        assert.ok(result.model);
        const yaml = renderedToYaml(
          renderManifests(result.model, PREVIEW_RENDER_OPTIONS),
          result.model.scenario.metadata.name,
          'preview',
        );
        const golden = join(goldenDir, file);
        if (process.env.UPDATE_GOLDEN) writeFileSync(golden, yaml);
        assert.equal(yaml, readFileSync(golden, 'utf8'));
      });
    });
  }
});

describe('scenario.schema.json', () => {
  it('is the schema generated from harness/config/v1alpha1.ts (npm run schema)', () => {
    const published = JSON.parse(readFileSync(join(scenarioDir, 'scenario.schema.json'), 'utf8'));
    assert.deepEqual(published, scenarioJsonSchema());
  });
});
