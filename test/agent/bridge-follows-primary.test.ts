/**
 * The attach bridge keeps its client connected while the primary moves (issue 8, "Clients follow
 * without reconnecting"): a real bridge (bin/attach-bridge.ts: its own process, a
 * qemu-storage-daemon and the relay) started as `blockplane attach` starts it, a stub of the
 * attachments API, two real qemu-storage-daemons taking turns as the primary
 * (helpers/moving-primary.ts), and the self-verifying writer (helpers/acked_writer.py, libnbd)
 * connected to the bridge's unix socket the whole time.
 *
 * Pins: before this change the bridge was a qemu-nbd whose NBD client was fixed to one
 * endpoint and one key; the first move made every write fail ("e" lines in the writer's log)
 * until the client reconnected to a new bridge.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCommand } from '../../agent/util/run-command';
import { isBridgeProcess, readBridgeState, startBridge, stopBridge, type BridgeState } from '../../bin/attach-bridge';
import { MiB, waitUntil } from './helpers/copy-fixture';
import { gapsAtMoves, MovingPrimary, percentile, readWriterLog, type MoveKind } from './helpers/moving-primary';

jest.setTimeout(300_000);

const WRITER = path.join(__dirname, 'helpers', 'acked_writer.py');
const MOVES = 20;
/** Acknowledged writes the writer makes between two moves, so each gap has writes on both sides. */
const WRITES_BETWEEN_MOVES = 25;
/** A "k <n> <t>" line plus its "a <n> <t>" line is at least this long. */
const LOG_BYTES_PER_WRITE = 16;

describe('attach bridge: the client stays connected while the primary moves', () => {
  const volumeId = 'vol-0123456789abcdef1';
  const attachmentId = 'att-00112233ccdd';
  const savedEnv = { ...process.env };
  let root: string;
  let primary: MovingPrimary;
  let bridge: BridgeState | undefined;

  beforeAll(async () => {
    // The data file sits on the machine's own filesystem (O_DIRECT works there); a loop device
    // under two daemons' O_DIRECT writes stalled for seconds on this shared machine.
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'bp-follow-'));
    primary = await MovingPrimary.start({ root: path.join(root, 'hosts'), volumeId, attachmentId, sizeBytes: 256 * MiB });
    // The bridge process signs its API calls with the default credential chain of its environment.
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_PROFILE;
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDSTUB', AWS_SECRET_ACCESS_KEY: 'stub-secret', AWS_REGION: 'us-east-1' });
  });

  afterAll(async () => {
    if (bridge && isBridgeProcess(bridge.pid, bridge.socketPath)) await stopBridge(bridge);
    process.env = savedEnv;
    await primary?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('when the primary moves 20 times (planned cutovers, crashes, new keys) under a writer, no write fails and every acknowledged write is on the volume', async () => {
    // Prepare: the bridge, following the attachment, and the writer on its socket
    bridge = await startBridge(primary.attachment(), { runRoot: path.join(root, 'run'), outputsFile: primary.outputsFile });
    const logFile = path.join(root, 'writer.log');
    const stopFile = path.join(root, 'writer.stop');
    const writer = spawn('/usr/bin/python3', [WRITER, 'write', '--socket', bridge.socketPath, '--export', volumeId, '--log', logFile, '--stop', stopFile, '--blocks', String((256 * MiB) / 4096), '--deadline-seconds', '240'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let writerOutput = '';
    writer.stdout.on('data', (chunk: Buffer) => (writerOutput += chunk.toString()));
    writer.stderr.on('data', (chunk: Buffer) => (writerOutput += chunk.toString()));
    const writerExit = new Promise<number | null>((resolve) => writer.once('exit', resolve));
    const logSize = () => fs.stat(logFile).then((stat) => stat.size, () => 0);
    const awaitWrites = async () => {
      const from = await logSize();
      await waitUntil(async () => (await logSize()) >= from + WRITES_BETWEEN_MOVES * LOG_BYTES_PER_WRITE, 60_000, `${WRITES_BETWEEN_MOVES} more writes through the bridge`);
    };

    // Act: 20 moves; every fifth one a crash of the primary's daemon, two of them with a new key
    for (let move = 0; move < MOVES; move++) {
      await awaitWrites();
      const kind: MoveKind = move % 5 === 4 ? 'crash' : 'planned';
      await primary.move(kind, { rotateKey: move === 9 || move === 14 });
    }
    await awaitWrites();
    await fs.writeFile(stopFile, '');
    expect(await writerExit).toBe(0);

    // Assess: no write failed, each move showed as a pause, and every acknowledged write is there
    const log = await readWriterLog(logFile);
    expect({ errors: log.errors.slice(0, 5), writerOutput: writerOutput.includes('Traceback') ? writerOutput : '' }).toEqual({ errors: [], writerOutput: '' });
    const verified = JSON.parse((await runCommand('/usr/bin/python3', [WRITER, 'verify', '--file', primary.dataPath, '--log', logFile], { timeoutMs: 120_000 })).stdout) as {
      acked: number;
      lost: number;
      firstLost: number[];
    };
    expect(verified).toEqual({ acked: log.acks.length, lost: 0, firstLost: [] });
    const gaps = gapsAtMoves(log, primary.moves);
    expect(gaps).toHaveLength(MOVES);
    const planned = gaps.filter((_, index) => primary.moves[index]!.kind === 'planned');
    const crashes = gaps.filter((_, index) => primary.moves[index]!.kind === 'crash');
    console.log(
      `${MOVES} moves, ${verified.acked} acknowledged writes, 0 failed, 0 lost; client I/O gap: planned p50 ${percentile(planned, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(planned, 99).toFixed(1)} ms (n=${planned.length}); crash p50 ${percentile(crashes, 50).toFixed(1)} ms, max ${Math.max(...crashes).toFixed(1)} ms (n=${crashes.length})`,
    );
    // and the bridge recorded where it follows to, with the key it was handed last
    const state = readBridgeState(volumeId, path.join(root, 'run'))!;
    expect({ hostId: state.hostId, identity: state.identity, generation: state.generation, pid: state.pid }).toEqual({
      hostId: primary.attachment().hostId,
      identity: primary.attachment().tls.identity,
      generation: 3,
      pid: bridge.pid,
    });
  });
});
