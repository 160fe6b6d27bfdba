/**
 * What the assertion controller observes on one served copy (docs/audit.md, "Asserters"): the
 * throttle group's IOPS limit, the NBD server's TLS credentials, the PSK file's mode and the file
 * node's cache mode, each read from QEMU (QMP) or the file system, never from the agent's intent.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ObservedComponent } from '../../core/audit/assert-components';
import type { ServedCopy } from '../copies/served-copy';

/** Every QMP query of an assertion pass has this long; a stuck daemon makes the copy silent, not the agent. */
export const ASSERTION_QMP_TIMEOUT_MS = 2_000;

interface NamedNode {
  'node-name': string;
  cache?: { direct?: boolean };
}

/** `<hostId>/<copyId>`: a copy's component id, which only its host may assert for. */
export const copyComponentId = (hostId: string, copyId: string) => `${hostId}/${copyId}`;

/** A served copy as QEMU and the file system show it; only the QMP queries below, no change to anything. */
export async function observeCopy(hostId: string, served: ServedCopy): Promise<ObservedComponent> {
  const { copy } = served;
  const names = copy.metadata.nodeNames;
  const query = <T>(command: string, args?: Record<string, unknown>) => served.daemon.qmp.execute<T>(command, args, { timeoutMs: ASSERTION_QMP_TIMEOUT_MS });
  const [limits, nodes, tlsType, pskMode] = await Promise.all([
    query<Record<string, number>>('qom-get', { path: `/objects/${names.throttleGroup}`, property: 'limits' }),
    query<NamedNode[]>('query-named-block-nodes', { flat: true }),
    query<string>('qom-get', { path: `/objects/${names.serverTls}`, property: 'type' }).catch(() => null),
    fs.stat(path.join(copy.tlsServerDir, 'keys.psk')).then(
      (stat) => (stat.mode & 0o777).toString(8).padStart(4, '0'),
      () => null,
    ),
  ]);
  const fileNode = nodes.find((node) => node['node-name'] === names.file);
  return {
    componentId: copyComponentId(hostId, copy.copyId),
    componentType: 'volume-copy',
    observed: {
      'copy.throttle.iops-total': limits['iops-total'] ?? 0,
      'copy.export.tls-creds-type': tlsType,
      'copy.psk-file.mode': pskMode,
      'copy.file.cache-direct': fileNode?.cache?.direct ?? null,
    },
    committed: { committedIops: copy.metadata.iops },
  };
}
