/**
 * Malformed scenarios: each file in test/fixtures/malformed must produce exactly the problems in its
 * .expected file (what `probelab validate` prints). UPDATE_GOLDEN=1 rewrites the .expected files; review
 * the diff before committing it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { problemsOf } from './builders.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'malformed');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('malformed scenarios', () => {
  it('has at least 15 fixtures', () => assert.ok(fixtures.length >= 15, `only ${fixtures.length}`));
  for (const fixture of fixtures) {
    it(`${fixture} reports exactly its expected problems`, () => {
      const actual = problemsOf(readFileSync(join(dir, fixture), 'utf8'), fixture);
      const expectedFile = join(dir, fixture.replace(/\.yaml$/, '.expected'));
      if (process.env.UPDATE_GOLDEN) writeFileSync(expectedFile, `${actual.join('\n')}\n`);
      const expected = readFileSync(expectedFile, 'utf8').trimEnd().split('\n');
      assert.deepEqual(actual, expected);
      assert.ok(
        actual.some((line) => !line.includes('warning:')),
        'a malformed file has at least one error',
      );
    });
  }
});
