/**
 * A qemu-storage-daemon left running by an agent that died (SIGKILL, OOM) still holds every
 * write it acknowledged: its host did not crash. The restarted agent stops it the way a clean
 * stop of the agent would (docs/recovery.md, "Clean restart"), over its QMP socket: a primary's
 * client export goes first (in-flight requests drain), a READY mirror job gets its final sync
 * (a soft cancel: `BLOCK_JOB_COMPLETED` without an error means the mirror is identical), then
 * `quit` flushes and closes the copy. Anything that does not go as planned within
 * {@link ORPHAN_CLEAN_STOP_MS} ends in SIGKILL instead (orphan-daemon.ts), and the copy is then
 * treated as after a crash (recovery).
 */
import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { QmpClient } from '../qmp/qmp-client';
import { AgentLogger } from '../util/logger';
import { findDaemonByPidfile, killOrphanDaemon } from './orphan-daemon';
import { DaemonFiles } from './storage-daemon';

/** The whole clean stop of one orphan: export removal, final sync, quit and exit. */
export const ORPHAN_CLEAN_STOP_MS = 15_000;
const STEP_TIMEOUT_MS = 5_000;

export interface OrphanNames {
  /** The client (or replication) export's id. */
  readonly export: string;
  /** The mirror job's id (a primary's). */
  readonly mirrorJob: string;
  /** The NBD client node of the mirror's export (the job's target). */
  readonly peer: string;
}

/** Where a primary's mirror job wrote to, as its NBD client node names it. */
export interface MirrorEndpoint {
  readonly address: string;
  readonly port: number;
  readonly exportName: string;
}

/** What became of a copy's daemon an earlier agent left running. */
export type OrphanOutcome =
  | { readonly found: false }
  | { readonly found: true; readonly pid: number; readonly clean: false; readonly why: string }
  /** `mirrorIdentical`: a primary's READY mirror job ended with its final sync; undefined when no mirror job ran. */
  | { readonly found: true; readonly pid: number; readonly clean: true; readonly mirrorIdentical?: boolean; readonly mirror?: MirrorEndpoint };

interface QueryJob {
  readonly device?: string;
  readonly id?: string;
  readonly ready?: boolean;
  readonly status?: string;
}

export async function stopOrphanDaemon(files: DaemonFiles, names: OrphanNames, primary: boolean, logger: AgentLogger): Promise<OrphanOutcome> {
  const pid = await findDaemonByPidfile(files.pidfilePath);
  if (pid === undefined) return { found: false };
  let qmp: QmpClient | undefined;
  const deadline = Date.now() + ORPHAN_CLEAN_STOP_MS;
  const left = (): number => Math.max(1, Math.min(STEP_TIMEOUT_MS, deadline - Date.now()));
  try {
    // The admin monitor: the dead agent's own QMP connection may not be closed yet (one client per monitor).
    qmp = await QmpClient.connect(files.adminSocketPath, { connectTimeoutMs: left(), logger });
    let mirrorIdentical: boolean | undefined;
    let mirror: MirrorEndpoint | undefined;
    if (primary) {
      const exports = await qmp.execute<Array<{ id: string }>>('query-block-exports', {}, { timeoutMs: left() });
      if (exports.some((entry) => entry.id === names.export)) {
        await qmp.executeAndWaitForEvent(
          'block-export-del',
          { id: names.export, mode: 'hard' },
          (event) => event.event === 'BLOCK_EXPORT_DELETED' && event.data.id === names.export,
          { timeoutMs: left(), eventTimeoutMs: left(), description: `BLOCK_EXPORT_DELETED(${names.export})` },
        );
      }
      const job = (await qmp.execute<QueryJob[]>('query-block-jobs', {}, { timeoutMs: left() })).find((entry) => (entry.id ?? entry.device) === names.mirrorJob);
      if (job) {
        mirrorIdentical = false;
        if (job.ready === true) {
          mirror = await peerEndpoint(qmp, names.peer, left());
          const { event: ended } = await qmp.executeAndWaitForEvent(
            'block-job-cancel',
            { device: names.mirrorJob, force: false },
            (event) => ['BLOCK_JOB_COMPLETED', 'BLOCK_JOB_CANCELLED'].includes(event.event) && (event.data.device ?? event.data.id) === names.mirrorJob,
            { timeoutMs: left(), eventTimeoutMs: left(), description: `the end of ${names.mirrorJob}` },
          );
          mirrorIdentical = ended.event === 'BLOCK_JOB_COMPLETED' && ended.data.error === undefined;
        }
      }
    }
    await qmp.execute('quit', {}, { timeoutMs: left() }).catch(() => undefined); // the answer may not come before the socket closes
    while (await isRunning(pid)) {
      if (Date.now() > deadline) throw new Error(`the daemon did not exit within ${ORPHAN_CLEAN_STOP_MS} ms of quit`);
      await sleep(20);
    }
    await fs.rm(files.markerPath, { force: true });
    return { found: true, pid, clean: true, ...(mirrorIdentical === undefined ? {} : { mirrorIdentical }), ...(mirror ? { mirror } : {}) };
  } catch (error) {
    await killOrphanDaemon(files.pidfilePath);
    return { found: true, pid, clean: false, why: (error as Error).message };
  } finally {
    qmp?.close();
  }
}

/** A zombie of a process that is not our child counts as gone: it holds no file any more. */
async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/**
 * The mirror's endpoint from the peer node's `file` (`query-named-block-nodes`): QEMU names an NBD
 * node with options it cannot put in a URI (TLS) as `json:{…}`, others as `nbd://host:port/export`.
 */
async function peerEndpoint(qmp: QmpClient, peer: string, timeoutMs: number): Promise<MirrorEndpoint | undefined> {
  const nodes = await qmp.execute<Array<{ 'node-name'?: string; file?: string }>>('query-named-block-nodes', { flat: true }, { timeoutMs });
  const file = nodes.find((node) => node['node-name'] === peer)?.file;
  if (!file) return undefined;
  if (file.startsWith('json:')) {
    try {
      const options = JSON.parse(file.slice('json:'.length)) as { server?: { host?: unknown; port?: unknown }; export?: unknown };
      const port = Number(options.server?.port);
      if (typeof options.server?.host === 'string' && Number.isInteger(port) && typeof options.export === 'string') {
        return { address: options.server.host, port, exportName: options.export };
      }
    } catch {
      return undefined;
    }
    return undefined;
  }
  const uri = /^nbd(?:\+tcp)?:\/\/([^/:]+):(\d+)\/(.+)$/.exec(file);
  return uri ? { address: uri[1]!, port: Number(uri[2]), exportName: uri[3]! } : undefined;
}
