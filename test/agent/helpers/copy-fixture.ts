/**
 * Builds served copies for tests: create (or open) a copy in a store, start its own daemon,
 * start its TLS-PSK NBD server on a free 127.0.0.1 port and export it. Every daemon is
 * registered with the reaper, which stops it by PID after the test.
 */
import { randomUUID } from 'node:crypto';
import { CopyRole } from '../../../agent/copies/copy-role';
import { CopySpec, CopyStore } from '../../../agent/copies/copy-store';
import { ServedCopy } from '../../../agent/copies/served-copy';
import { VolumeCopy } from '../../../agent/copies/volume-copy';
import { PskKey } from '../../../agent/tls/psk-keys-file';
import { DaemonReaper } from './daemon-reaper';
import { ExportTarget, freePort } from './nbd-clients';

export const MiB = 1024 * 1024;

export function copySpec(overrides: Partial<CopySpec> = {}): CopySpec {
  return {
    volumeId: `vol-${randomUUID()}`,
    copyId: `copy-${randomUUID()}`,
    role: CopyRole.Primary,
    generation: 1,
    sizeBytes: 64 * MiB,
    iops: 0,
    ...overrides,
  };
}

export interface ServedTestCopy {
  served: ServedCopy;
  copy: VolumeCopy;
  target: ExportTarget;
}

export interface ServeOptions {
  clientKeys: PskKey[];
  export?: boolean;
  maxConnections?: number;
  /** @default a free port */
  port?: number;
  /** Run the copy's daemon in this network namespace. @default the test's own */
  netns?: string;
}

/** Starts `copy`'s daemon, NBD server (TLS-PSK) and, unless told otherwise, its export. */
export async function serveCopy(copy: VolumeCopy, reaper: DaemonReaper, options: ServeOptions): Promise<ServedTestCopy> {
  const served = await ServedCopy.start(copy, options.netns ? { netns: options.netns } : {});
  reaper.track(served.daemon);
  const port = options.port ?? (await freePort());
  await served.runtime.startNbdServer({
    listen: { type: 'inet', host: '127.0.0.1', port },
    clientKeys: options.clientKeys,
    maxConnections: options.maxConnections ?? 16,
  });
  if (options.export ?? true) await served.runtime.addExport();
  return { served, copy, target: { host: '127.0.0.1', port, exportName: copy.volumeId } };
}

export async function createAndServe(store: CopyStore, reaper: DaemonReaper, spec: CopySpec, options: ServeOptions): Promise<ServedTestCopy> {
  const copy = await store.create(spec);
  return serveCopy(copy, reaper, options);
}

/** Bounded polling: checks `condition` every 20 ms until it holds or `timeoutMs` passes. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
