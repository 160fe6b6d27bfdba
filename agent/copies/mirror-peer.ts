/**
 * The NBD client node a primary writes its mirror through (`peer`, TLS-PSK with the
 * replication key), and the probes of its target. NBD peers are probed with `nbdinfo` before
 * `blockdev-add`, which would otherwise block the monitor against a silent peer (§9.5).
 */
import * as path from 'node:path';
import { MirrorTargetSizeMismatchError, MirrorTargetUnreachableError } from '../errors';
import { NbdAddress, describeNbdAddress, toNbdsUri, toQmpSocketAddress } from '../net/nbd-address';
import { PSK_KEYS_FILE_NAME, PskKey, writePskKeysFile } from '../tls/psk-keys-file';
import { runCommand } from '../util/run-command';
import { CopyQmp } from './copy-qmp';

export interface MirrorTarget {
  address: NbdAddress;
  /** The peer's export name (the volume id). */
  exportName: string;
  /** The key this daemon presents to the peer's NBD server. */
  key: PskKey;
}

/** The target a primary (or a chain's mirror) writes to: a peer's endpoint and the key it presents. */
export function mirrorTargetOf(endpoint: { readonly address: string; readonly port: number; readonly exportName: string }, key: PskKey): MirrorTarget {
  return { address: { type: 'inet', host: endpoint.address, port: endpoint.port }, exportName: endpoint.exportName, key };
}

export interface MirrorOptions {
  /** @default 'full' - 'none' only when source and target are known identical (cutover, §1.3). */
  sync?: 'full' | 'none';
  /**
   * How long the NBD client holds client writes while the mirror is unreachable. It is the only
   * hold QEMU 7.2 has: a held write is neither acknowledged nor failed until the agent, with the
   * control plane's consent, releases it (`abandonMirror`) or until this delay ends, after which
   * writes would be acknowledged on this copy alone. So it must outlast every fencing step,
   * including a frozen agent's (the lease guard ends the daemon long before).
   * @default {@link MIRROR_HOLD_SECONDS}
   */
  reconnectDelaySeconds?: number;
  /** @default 5 - connection retries of the NBD client when the node is added. */
  openTimeoutSeconds?: number;
  /** @default 120000 - time allowed to reach BLOCK_JOB_READY. */
  readyTimeoutMs?: number;
  /** @default true - check reachability and size with nbdinfo before `blockdev-add`. */
  probe?: boolean;
  /** @default 5000 */
  probeTimeoutMs?: number;
  /** Bulk-copy speed cap; the copy's reads also count against its throttle group. @default unlimited */
  speedBytesPerSecond?: number;
  /** Copy buffer (resident memory per job). @default QEMU's 16 MiB */
  bufSizeBytes?: number;
}

/**
 * See {@link MirrorOptions.reconnectDelaySeconds}. It must outlast detection + the consent
 * deadline (after which clients are cut off, so a write released later is never acknowledged)
 * and the lease plus the guard's reaction (a frozen agent's daemon is killed first); see
 * docs/replication-safety.md. It is also the longest QEMU may block in `blockdev-del` of a peer
 * whose broken connection nobody noticed (its closing flush waits for a reconnect), so it is
 * not made longer than needed.
 */
export const MIRROR_HOLD_SECONDS = 30;
/** `blockdev-del` of the peer may wait for the hold to end (see above). */
const PEER_DELETE_TIMEOUT_MS = (MIRROR_HOLD_SECONDS + 15) * 1_000;

export interface MirrorPeerOptions {
  /** Binary that probes the target. */
  nbdinfo: string;
  /** A command the probe runs through, so it reaches the target from where the daemon runs. */
  probePrefix: readonly string[];
}

export class MirrorPeer {
  private peerDetaching: Promise<void> | undefined;
  private peerAttached = false;
  private clientTlsAdded = false;
  private last: { target: MirrorTarget; options: MirrorOptions } | undefined;

  constructor(
    private readonly q: CopyQmp,
    private readonly options: MirrorPeerOptions,
  ) {}

  /** The target (and options) of the last mirror started, for a resync or a probe. */
  get lastTarget(): { target: MirrorTarget; options: MirrorOptions } | undefined {
    return this.last;
  }

  /** Connects the peer NBD node (after a probe), replacing an earlier one; the mirror job must be gone. */
  async attach(target: MirrorTarget, options: MirrorOptions): Promise<void> {
    const { names } = this.q;
    const targetName = describeNbdAddress(target.address, target.exportName);
    await this.detach();
    await writePskKeysFile(this.q.copy.tlsClientDir, [target.key]);
    if (options.probe ?? true) await this.probe(target, options.probeTimeoutMs ?? 5_000);
    await this.q.exec('object-add', {
      'qom-type': 'tls-creds-psk',
      id: names.clientTls,
      endpoint: 'client',
      dir: this.q.copy.tlsClientDir,
      username: target.key.identity,
    });
    this.clientTlsAdded = true;
    try {
      await this.q.exec('blockdev-add', {
        driver: 'nbd',
        'node-name': names.peer,
        server: toQmpSocketAddress(target.address),
        export: target.exportName,
        'tls-creds': names.clientTls,
        'reconnect-delay': options.reconnectDelaySeconds ?? MIRROR_HOLD_SECONDS,
        'open-timeout': options.openTimeoutSeconds ?? 5,
      });
    } catch (error) {
      await this.detach();
      throw new MirrorTargetUnreachableError(targetName, (error as Error).message, { cause: error });
    }
    this.peerAttached = true;
    this.last = { target, options };
  }

  /** Removes the peer node and its credentials; concurrent callers (a fault's abandon, a new mirror) share one removal. */
  detach(): Promise<void> {
    this.peerDetaching ??= this.remove().finally(() => {
      this.peerDetaching = undefined;
    });
    return this.peerDetaching;
  }

  /**
   * Checks, without touching the graph, that `target` answers with this copy's size (nbdinfo
   * with the replication key, through the probe prefix, so from the daemon's network namespace).
   */
  async probe(target: MirrorTarget, timeoutMs: number): Promise<void> {
    const targetName = describeNbdAddress(target.address, target.exportName);
    let sizeText: string;
    try {
      const [file, ...args] = this.probeArgv(target);
      sizeText = (await runCommand(file as string, args, { timeoutMs })).stdout.trim();
    } catch (error) {
      throw new MirrorTargetUnreachableError(targetName, (error as Error).message, { cause: error });
    }
    const targetSize = Number(sizeText);
    if (targetSize !== this.q.copy.metadata.sizeBytes) {
      throw new MirrorTargetSizeMismatchError(targetName, targetSize, this.q.copy.metadata.sizeBytes);
    }
  }

  /** The probe of `target` as argv (the lease guard runs it too). */
  probeArgv(target: MirrorTarget): string[] {
    const uri = toNbdsUri(target.address, target.exportName, target.key.identity, path.join(this.q.copy.tlsClientDir, PSK_KEYS_FILE_NAME));
    return [...this.options.probePrefix, this.options.nbdinfo, '--size', uri];
  }

  /** Breaks this daemon's TCP connections to the last target (`ss -K` where the daemon runs). */
  async cutConnections(): Promise<void> {
    const target = this.last?.target;
    if (!target || target.address.type !== 'inet') return;
    const [file, ...args] = [...this.options.probePrefix, 'ss', '-K', 'dst', target.address.host, 'dport', '=', `:${target.address.port}`];
    await runCommand(file as string, args, { timeoutMs: 5_000 });
    this.q.logger.warn('connections to the mirror target cut', { target: describeNbdAddress(target.address, target.exportName) });
  }

  private async remove(): Promise<void> {
    const { names } = this.q;
    if (this.peerAttached) {
      await this.q.qmp.execute('blockdev-del', { 'node-name': names.peer }, { timeoutMs: PEER_DELETE_TIMEOUT_MS });
      this.peerAttached = false;
    }
    if (this.clientTlsAdded) {
      await this.q.exec('object-del', { id: names.clientTls });
      this.clientTlsAdded = false;
    }
  }
}
