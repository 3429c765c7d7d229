/**
 * Certificates for Chaos Mesh's install, made with the openssl command-line tool (Debian's openssl; the
 * one external program, run through the process wrapper). Contract: returns PEM text only; the private
 * keys exist on disk only in a private temporary directory that is removed before returning.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './process.ts';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface ChaosMeshCerts {
  ca: KeyPair;
  /** daemonServer: chaos-daemon's gRPC server (the name the controller verifies). */
  daemonServer: KeyPair;
  /** controllerClient: the controller's client certificate towards the daemons. */
  controllerClient: KeyPair;
  /** webhook: the controller's webhook server (no webhook is registered, but the server must start). */
  webhook: KeyPair;
}

/** CHAOS_DAEMON_SERVER_NAME is the name Chaos Mesh's gRPC client expects on the daemon's certificate. */
export const CHAOS_DAEMON_SERVER_NAME = 'chaos-daemon.chaos-mesh.org';

const VALID_DAYS = '825';

export async function generateChaosMeshCerts(signal?: AbortSignal): Promise<ChaosMeshCerts> {
  const dir = await mkdtemp(join(tmpdir(), 'probelab-certs-'));
  const openssl = (args: string[]) =>
    runCommand('openssl', args, { timeoutMs: 30_000, ...(signal ? { signal } : {}) });
  try {
    await openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'ca.key'),
      '-out',
      join(dir, 'ca.crt'),
      '-days',
      VALID_DAYS,
      '-subj',
      '/CN=probelab-chaos-mesh-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const signed = async (name: string, cn: string, sans: string[], usage: string): Promise<KeyPair> => {
      const ext = join(dir, `${name}.ext`);
      await writeFile(
        ext,
        [
          'basicConstraints=CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          `extendedKeyUsage=${usage}`,
          ...(sans.length ? [`subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`] : []),
        ].join('\n'),
      );
      await openssl([
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, `${name}.key`),
        '-out',
        join(dir, `${name}.csr`),
        '-subj',
        `/CN=${cn}`,
      ]);
      await openssl([
        'x509',
        '-req',
        '-in',
        join(dir, `${name}.csr`),
        '-CA',
        join(dir, 'ca.crt'),
        '-CAkey',
        join(dir, 'ca.key'),
        '-CAcreateserial',
        '-out',
        join(dir, `${name}.crt`),
        '-days',
        VALID_DAYS,
        '-extfile',
        ext,
      ]);
      return {
        cert: await readFile(join(dir, `${name}.crt`), 'utf8'),
        key: await readFile(join(dir, `${name}.key`), 'utf8'),
      };
    };
    return {
      ca: {
        cert: await readFile(join(dir, 'ca.crt'), 'utf8'),
        key: await readFile(join(dir, 'ca.key'), 'utf8'),
      },
      daemonServer: await signed(
        'daemon',
        CHAOS_DAEMON_SERVER_NAME,
        ['localhost', CHAOS_DAEMON_SERVER_NAME],
        'serverAuth',
      ),
      controllerClient: await signed('client', 'controller-manager.chaos-mesh.org', [], 'clientAuth'),
      webhook: await signed(
        'webhook',
        'chaos-mesh-controller-manager.chaos-mesh.svc',
        [
          'chaos-mesh-controller-manager.chaos-mesh.svc',
          'chaos-mesh-controller-manager.chaos-mesh.svc.cluster.local',
        ],
        'serverAuth',
      ),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
