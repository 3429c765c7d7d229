/**
 * clusters/images/lib.sh's probelab_content_hash, the cache key of every offline build: its file digests
 * are memoized by stat signature, which must never let a changed file keep its old digest.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const lib = join(import.meta.dirname, '..', '..', 'clusters', 'images', 'lib.sh');

describe('probelab_content_hash (clusters/images/lib.sh)', () => {
  const cache = mkdtempSync(join(tmpdir(), 'probelab-hash-cache-'));
  const inputs = mkdtempSync(join(tmpdir(), 'probelab-hash-inputs-'));
  const file = join(inputs, 'a.bin');
  const hash = () =>
    execFileSync('bash', ['-c', `source "${lib}" && probelab_content_hash "$1"`, 'hash', inputs], {
      env: { ...process.env, PROBELAB_CACHE_DIR: cache },
      encoding: 'utf8',
    }).trim();

  it('memoizes each digest and gives the same hash from the memo', () => {
    writeFileSync(file, 'first');
    const first = hash();
    assert.match(first, /^[0-9a-f]{64}$/);
    assert.match(
      readFileSync(join(cache, 'content-hash.memo'), 'utf8'),
      /a\.bin\t\d+ \d+ [\d.]+ [\d.]+ [0-9a-f]{64}\n/,
    );
    assert.equal(hash(), first);
  });

  it('sees a file rewritten with the same size and its old mtime put back', () => {
    writeFileSync(file, 'first');
    utimesSync(file, 1_000_000_000, 1_000_000_000); // whole seconds, so the same mtime can be put back exactly
    const before = hash();
    writeFileSync(file, 'fir5t');
    utimesSync(file, 1_000_000_000, 1_000_000_000);
    assert.equal(statSync(file).mtimeMs, 1_000_000_000_000);
    assert.notEqual(hash(), before);
  });

  it('hashes a new file and a removed one', () => {
    writeFileSync(file, 'first');
    const one = hash();
    writeFileSync(join(inputs, 'b.bin'), 'second');
    const two = hash();
    assert.notEqual(two, one);
    execFileSync('rm', [join(inputs, 'b.bin')]);
    assert.equal(hash(), one);
  });
});
