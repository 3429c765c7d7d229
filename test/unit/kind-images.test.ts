import assert from 'node:assert/strict';
import { configDigests } from '../../harness/adapters/kind.ts';

const config = (hex: string) => `sha256:${hex.repeat(64)}`;

describe('configDigests (what a kind node holds, from its containerd)', () => {
  it('maps each image to the config digest of its manifest; an image without a manifest is absent', () => {
    const manifest = JSON.stringify(
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config('a') },
        layers: [],
      },
      null,
      3,
    );
    const output = [
      '',
      `--probelab-image probelab.dev/sample:abc ${config('m')}`,
      manifest,
      '',
      '--probelab-image ghcr.io/chaos-mesh/chaos-daemon:v2.8.4 ',
      '',
      `--probelab-image ghcr.io/chaos-mesh/chaos-mesh:v2.8.4 ${config('n')}`,
      'ctr: content digest sha256:nnn: not found',
    ].join('\n');
    assert.deepEqual([...configDigests(output)], [['probelab.dev/sample:abc', config('a')]]);
  });

  it('reads nothing from output without marks', () => {
    assert.equal(configDigests('').size, 0);
    assert.equal(configDigests('OCI runtime exec failed').size, 0);
  });
});
