/**
 * A primary that moves, for the attach bridge's tests and the cutover-gap bench.
 *
 * Two real qemu-storage-daemons ("hosts" A and B) open the same raw data file (O_DIRECT, no
 * locking) and take turns exporting it over TLS-PSK on their own 127.0.0.1 ports: exactly one
 * exports at a time. A stub of `GET /volumes/{id}/attachments/{attachmentId}` names the one that
 * exports, with a key its PSK file accepts. So both "copies" hold the same data by construction,
 * and a move is what a client sees of a cutover or a fail-over:
 * - **planned** (a cutover): the old primary removes its export (`block-export-del` mode hard,
 *   as `quiesce-replication` does; in-flight requests drain first), the new one adds its
 *   export, then the stub publishes it;
 * - **crash** (a fail-over): the old primary's daemon is SIGKILLed with requests in flight,
 *   the new one exports, the stub publishes it, and the dead one is started again (not
 *   exporting) for later moves;
 * - with `rotateKey`, the new primary's PSK file holds only a new identity and key (a
 *   fail-over hands out fresh client keys), and the stub hands out the new one.
 */
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { applyQuickAck } from '../../../agent/net/quickack';
import { StorageDaemon } from '../../../agent/qsd/storage-daemon';
import { runCommand } from '../../../agent/util/run-command';
import { generatePskKey, writePskKeysFile, type PskKey } from '../../../agent/tls/psk-keys-file';
import type { AttachmentView } from '../../../client/blockplane-api';
import { freePort } from './nbd-clients';

export interface MovingPrimaryOptions {
  readonly root: string;
  readonly volumeId: string;
  readonly attachmentId: string;
  readonly sizeBytes: number;
  /**
   * `loopback`: the daemons listen on 127.0.0.1. `veth`: they run in a network namespace of their
   * own behind a veth pair (10.213.80.0/30) with `quickack 1` on both routes, as storage routes
   * have on the fleet (QEMU 7.2's NBD server stalls every small reply on a delayed ACK, ~40 ms per
   * handshake step; the loopback route is the whole machine's and is left alone). @default loopback
   */
  readonly network?: 'loopback' | 'veth';
}

/** A network namespace behind a veth pair, quickack on both ends (see MovingPrimaryOptions.network). */
class ServerNamespace {
  static readonly SUBNET = '10.213.80.0/30';
  static readonly ROOT_ADDRESS = '10.213.80.1';
  static readonly ADDRESS = '10.213.80.2';
  private constructor(readonly netns: string) {}

  static async create(): Promise<ServerNamespace> {
    const tag = randomBytes(3).toString('hex');
    const netns = `bp-mp${tag}`;
    const rootEnd = `bpmp${tag}`;
    await runCommand('ip', ['netns', 'add', netns]);
    const created = new ServerNamespace(netns);
    try {
      await runCommand('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
      await runCommand('ip', ['link', 'add', rootEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      await runCommand('ip', ['addr', 'add', `${ServerNamespace.ROOT_ADDRESS}/30`, 'dev', rootEnd]);
      await runCommand('ip', ['link', 'set', rootEnd, 'up']);
      await runCommand('ip', ['-n', netns, 'addr', 'add', `${ServerNamespace.ADDRESS}/30`, 'dev', 'eth0']);
      await runCommand('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
      await applyQuickAck({ destination: ServerNamespace.SUBNET });
      await applyQuickAck({ destination: ServerNamespace.SUBNET, netns });
    } catch (error) {
      await created.destroy();
      throw error;
    }
    return created;
  }

  /** Deletes the namespace; its veth pair goes with it. */
  async destroy(): Promise<void> {
    await runCommand('ip', ['netns', 'del', this.netns]).catch(() => undefined);
  }
}

class ExportHost {
  daemon: StorageDaemon | undefined;
  exporting = false;
  constructor(
    readonly name: string,
    readonly port: number,
    private readonly root: string,
    private readonly dataPath: string,
    private readonly exportName: string,
    private readonly tlsDir: string,
    private readonly address: string,
    private readonly netns: string | undefined,
  ) {}

  async start(): Promise<void> {
    const daemon = new StorageDaemon({ name: this.name, runDir: path.join(this.root, this.name), ...(this.netns ? { launchPrefix: ['ip', 'netns', 'exec', this.netns] } : {}) });
    await daemon.start();
    const qmp = daemon.qmp;
    await qmp.execute('object-add', { 'qom-type': 'tls-creds-psk', id: 'tls', endpoint: 'server', dir: this.tlsDir });
    await qmp.execute('blockdev-add', { driver: 'file', 'node-name': 'file', filename: this.dataPath, locking: 'off', cache: { direct: true }, aio: 'threads' });
    await qmp.execute('blockdev-add', { driver: 'raw', 'node-name': 'vol', file: 'file' });
    await qmp.execute('nbd-server-start', { addr: { type: 'inet', data: { host: this.address, port: String(this.port) } }, 'tls-creds': 'tls', 'max-connections': 16 });
    this.daemon = daemon;
    this.exporting = false;
  }

  async addExport(): Promise<void> {
    await this.daemon!.qmp.execute('block-export-add', { type: 'nbd', id: 'client', 'node-name': 'vol', name: this.exportName, writable: true });
    this.exporting = true;
  }

  /** Hard removal: clients cut off after the requests in flight drained (BLOCK_EXPORT_DELETED). */
  async removeExport(): Promise<void> {
    const qmp = this.daemon!.qmp;
    const seq = qmp.lastEventSeq;
    await qmp.execute('block-export-del', { id: 'client', mode: 'hard' });
    await qmp.waitForEvent((event) => event.event === 'BLOCK_EXPORT_DELETED', 10_000, { afterSeq: seq, description: 'BLOCK_EXPORT_DELETED(client)' });
    this.exporting = false;
  }

  async kill(): Promise<void> {
    const pid = this.daemon?.pid;
    if (pid) process.kill(pid, 'SIGKILL');
    await this.daemon?.waitForExit(10_000);
    this.daemon = undefined;
    this.exporting = false;
  }

  async stop(): Promise<void> {
    await this.daemon?.stop();
    this.daemon = undefined;
  }
}

export type MoveKind = 'planned' | 'crash';

export interface MoveRecord {
  readonly kind: MoveKind;
  readonly rotated: boolean;
  /** Date.now() right before the old primary lost its export (or its daemon). */
  readonly startedAt: number;
  /** Date.now() once the stub names the new primary. */
  readonly publishedAt: number;
}

export class MovingPrimary {
  readonly dataPath: string;
  readonly hosts: [ExportHost, ExportHost];
  readonly address: string;
  private current = 0;
  private key: PskKey;
  private generation = 1;
  private api: http.Server | undefined;
  readonly moves: MoveRecord[] = [];
  /** Requests the stub answered. */
  reads = 0;
  outputsFile = '';

  private constructor(
    private readonly options: MovingPrimaryOptions,
    ports: [number, number],
    private readonly namespace: ServerNamespace | undefined,
  ) {
    this.dataPath = path.join(options.root, 'data.raw');
    const tlsDir = path.join(options.root, 'tls-server');
    this.address = namespace ? ServerNamespace.ADDRESS : '127.0.0.1';
    this.hosts = [
      new ExportHost('host-a', ports[0], options.root, this.dataPath, options.volumeId, tlsDir, this.address, namespace?.netns),
      new ExportHost('host-b', ports[1], options.root, this.dataPath, options.volumeId, tlsDir, this.address, namespace?.netns),
    ];
    this.key = generatePskKey(this.identity());
  }

  static async start(options: MovingPrimaryOptions): Promise<MovingPrimary> {
    const namespace = options.network === 'veth' ? await ServerNamespace.create() : undefined;
    const primary = new MovingPrimary(options, [await freePort(), await freePort()], namespace);
    try {
      await primary.setUp();
    } catch (error) {
      await primary.stop();
      throw error;
    }
    return primary;
  }

  private identity(): string {
    return `client-${this.options.volumeId}-${this.options.attachmentId}-g${this.generation}`.slice(0, 64);
  }

  get tlsDir(): string {
    return path.join(this.options.root, 'tls-server');
  }

  /** What `GET …/attachments/{id}` answers now. */
  attachment(): AttachmentView {
    const host = this.hosts[this.current];
    return {
      attachmentId: this.options.attachmentId,
      volumeId: this.options.volumeId,
      generation: this.generation,
      hostId: host.name,
      nbd: { address: this.address, port: host.port, exportName: this.options.volumeId },
      tls: { type: 'psk', identity: this.key.identity, keyHex: this.key.keyHex },
    };
  }

  private async setUp(): Promise<void> {
    await fs.mkdir(this.options.root, { recursive: true, mode: 0o700 });
    const handle = await fs.open(this.dataPath, 'w', 0o600);
    await handle.truncate(this.options.sizeBytes);
    await handle.close();
    await writePskKeysFile(this.tlsDir, [this.key]);
    for (const host of this.hosts) await host.start();
    await this.hosts[0].addExport();
    const base = `/volumes/${this.options.volumeId}/attachments/${this.options.attachmentId}`;
    this.api = http.createServer((request, response) => {
      const signed = /^AWS4-HMAC-SHA256 Credential=/.test(request.headers.authorization ?? '');
      if (!signed) return void response.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Missing Authentication Token' }));
      if (request.method === 'GET' && request.url === base) {
        this.reads += 1;
        return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.attachment()));
      }
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'NotFound', message: `no route ${request.method} ${request.url}` }));
    });
    const port = await freePort();
    await new Promise<void>((resolve) => this.api!.listen(port, '127.0.0.1', resolve));
    this.outputsFile = path.join(this.options.root, 'outputs.json');
    const stub = Object.fromEntries(['ApiId', 'ApiStage'].map((key) => [key, 'stub']));
    await fs.writeFile(this.outputsFile, JSON.stringify({ Api: { ...stub, ApiUrl: `http://127.0.0.1:${port}` } }));
  }

  /** Moves the primary to the other host; see the file comment. */
  async move(kind: MoveKind, options: { rotateKey?: boolean } = {}): Promise<MoveRecord> {
    const from = this.hosts[this.current];
    const toIndex = 1 - this.current;
    const to = this.hosts[toIndex];
    const startedAt = Date.now();
    if (kind === 'planned') await from.removeExport();
    else await from.kill();
    if (options.rotateKey) {
      this.generation += 1;
      this.key = generatePskKey(this.identity());
      await writePskKeysFile(this.tlsDir, [this.key]);
    }
    await to.addExport();
    this.current = toIndex;
    const publishedAt = Date.now();
    if (kind === 'crash') await from.start();
    const record = { kind, rotated: options.rotateKey === true, startedAt, publishedAt };
    this.moves.push(record);
    return record;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => (this.api ? this.api.close(resolve) : resolve(undefined)));
    for (const host of this.hosts) await host.stop().catch(() => undefined);
    await this.namespace?.destroy();
  }

  /** A client's direct TLS-PSK connection to the current primary (the baseline's writer). */
  directEndpoint(): { host: string; port: number; exportName: string; identity: string; keyHex: string } {
    const view = this.attachment();
    return { host: view.nbd.address, port: view.nbd.port, exportName: view.nbd.exportName, identity: view.tls.identity, keyHex: view.tls.keyHex };
  }
}

export interface WriterLog {
  /** [block, ackedAt ms] in log order. */
  readonly acks: ReadonlyArray<readonly [number, number]>;
  readonly errors: readonly string[];
}

export async function readWriterLog(file: string): Promise<WriterLog> {
  const acks: Array<[number, number]> = [];
  const errors: string[] = [];
  for (const line of (await fs.readFile(file, 'utf8')).split('\n')) {
    const [kind, block, at] = line.split(' ');
    if (kind === 'k') acks.push([Number(block), Number(at)]);
    if (kind === 'e') errors.push(line);
  }
  return { acks, errors };
}

/**
 * The client's I/O gap at each move: the longest time without an acknowledged write from the
 * last write acknowledged before the move started until the next move (a serial writer, so
 * this is the pause the move caused; the stall may begin a write or two after the move's start,
 * when the bridge's NBD client notices the lost connection).
 */
export function gapsAtMoves(log: WriterLog, moves: readonly MoveRecord[]): number[] {
  return moves.map((move, index) => {
    const windowEnd = moves[index + 1]?.startedAt ?? Infinity;
    let from = -1;
    for (let i = 0; i < log.acks.length && log.acks[i]![1] <= move.startedAt; i++) from = i;
    if (from < 0 || from + 1 >= log.acks.length || log.acks[from + 1]![1] >= windowEnd) {
      throw new Error(`no acknowledged write on both sides of the move at ${move.startedAt}`);
    }
    let gap = 0;
    for (let i = from; i + 1 < log.acks.length && log.acks[i]![1] < windowEnd; i++) gap = Math.max(gap, log.acks[i + 1]![1] - log.acks[i]![1]);
    return gap;
  });
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}
