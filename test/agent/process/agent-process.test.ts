/**
 * The real agent process (`node --import tsx bin/agent.ts …`, launched as the local fleet
 * launches it, or the esbuild bundle when BP_AGENT_BUNDLE names it) against a stub of the control plane's host routes: registration, heartbeats,
 * the command loop, an agent SIGKILLed while its daemon runs on, and SIGTERM.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CopyLock } from '../../../agent/copies/copy-lock';
import { AgentStateContent } from '../../../agent/controllers/state-file';
import { isAlive } from '../helpers/daemon-reaper';
import { createCopyPayload, daemonPidsUnder, killDaemonsUnder, newCommandId, newVolumeId, volumeKeys } from '../helpers/agent-host';
import { LoopDevice } from '../helpers/loop-device';
import { makeTlsClient, qemuIoTls } from '../helpers/nbd-clients';
import { StubControlPlane } from '../helpers/stub-control-plane';
import { waitUntil } from '../helpers/copy-fixture';

jest.setTimeout(240_000);

interface RunningAgent {
  child: ChildProcess;
  lines: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('the agent process', () => {
  let dir: string;
  let dataDir: string;
  let device: LoopDevice;
  let stub: StubControlPlane;
  const agents: RunningAgent[] = [];
  const hostId = 'host-proc-1';
  const ports = { first: 31000 + Math.floor(Math.random() * 1000), count: 10 };
  const volumeId = newVolumeId();
  const keys = volumeKeys(volumeId);
  const create = createCopyPayload(volumeId, keys, { generation: 3 });
  const copyId = create.copyId as string;
  let port: number;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bp-agent-proc-'));
    dataDir = path.join(dir, 'data');
    device = await LoopDevice.create(4 * 1024 ** 3);
    stub = await StubControlPlane.start(dir);
  });

  afterAll(async () => {
    for (const agent of agents) {
      if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGKILL');
      await agent.exit;
    }
    await killDaemonsUnder(dataDir);
    await stub?.stop();
    await device?.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  });

  function startAgent(): RunningAgent {
    const child = spawn(
      process.execPath,
      [
        // BP_AGENT_BUNDLE=dist/blockplane-agent.js runs these tests on the bundle from agent/packaging/build.sh.
        ...(process.env.BP_AGENT_BUNDLE ? [process.env.BP_AGENT_BUNDLE] : ['--import', 'tsx', 'bin/agent.ts']),
        '--host-id', hostId, '--location', 'loc-test', '--address', '127.0.0.1', '--data-dir', dataDir,
        '--device', `${device.device}:ssd:1000`,
        '--nbd-ports', `${ports.first}-${ports.first + ports.count - 1}`,
        '--heartbeat-interval-ms', '200', '--poll-wait-seconds', '1',
      ],
      { env: stub.agentEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const lines: string[] = [];
    let partial = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter((line) => line !== ''));
      if (process.env.BP_TEST_LOG) process.stderr.write(parts.join('\n') + '\n');
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const agent = { child, lines, exit };
    agents.push(agent);
    return agent;
  }

  async function readState(): Promise<AgentStateContent> {
    return JSON.parse(await fs.readFile(path.join(dataDir, 'agent-state.json'), 'utf8')) as AgentStateContent;
  }

  async function command(type: string, payload: Record<string, unknown>, commandId = newCommandId()) {
    stub.enqueue({ commandId, type, payload });
    return stub.waitFor(() => stub.resultsOf(commandId)[0]?.body, 60_000, `the result of ${type}`);
  }

  function tcpConnect(target: number): Promise<string> {
    return new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: target });
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  }

  it('when it starts on a fresh device, it formats and mounts it and registers the host with its disk and no copies', async () => {
    // When
    const agent = startAgent();
    const registration = await stub.waitFor(() => stub.registrations[0], 60_000, 'the registration');
    // Then
    expect(registration).toEqual({
      hostId,
      location: 'loc-test',
      address: '127.0.0.1',
      agentVersion: '0.1.0',
      disks: [{ deviceId: `${hostId}-${path.basename(device.device)}`, type: 'ssd', capacityGiB: 3, iopsCapacity: 1000, health: 'ok' }],
      copies: [],
    });
    expect(await device.mountPoints()).toEqual([path.join(dataDir, 'disks', path.basename(device.device))]);
    await stub.waitFor(() => (stub.heartbeats.length >= 2 ? true : undefined), 10_000, 'two heartbeats');
    expect(stub.heartbeats[0]).toEqual({ health: 'ok', disks: registration.disks, copies: [] });
    for (const line of agent.lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('when create-copy is polled, the result is posted, a second delivery of the same command gets the same result, and heartbeats report the copy', async () => {
    // When
    const commandId = newCommandId();
    const first = await command('create-copy', create, commandId);
    const again = await command('create-copy', create, commandId);
    // Then
    expect(first).toEqual({ status: 'succeeded', result: { copyId, nbd: { address: '127.0.0.1', port: ports.first, exportName: volumeId } } });
    expect(again).toEqual(first);
    port = ports.first;
    const beat = await stub.waitFor(
      () => (stub.heartbeats as Array<{ copies: Array<{ detail?: string }> }>).find((b) => b.copies[0]?.detail === 'no mirror'),
      10_000,
      'a heartbeat with the copy served',
    );
    expect(beat.copies).toEqual([{ volumeId, copyId, role: 'primary', generation: 3, state: 'created', detail: 'no mirror' }]);
    const state = await readState();
    expect(state.copies).toEqual([expect.objectContaining({ copyId, state: 'created', daemonPid: expect.any(Number), pidFile: expect.stringContaining(path.join(dataDir, 'run', copyId)) })]);
    expect(Number((await fs.readFile(state.copies[0]!.pidFile, 'utf8')).trim())).toBe(state.copies[0]!.daemonPid);
  });

  it('when the agent is SIGKILLed while its daemon serves and started again, the daemon is stopped cleanly, the copy is held and registered as stopped cleanly, with no recovery', async () => {
    // Given: the agent dies, its daemon runs on and still serves
    const [agent] = agents;
    const orphan = (await readState()).copies[0]!.daemonPid!;
    agent!.child.kill('SIGKILL');
    await agent!.exit;
    expect(isAlive(orphan)).toBe(true);
    expect(await tcpConnect(port)).toBe('connected');
    // When
    const registrationsBefore = stub.registrations.length;
    startAgent();
    const registration = await stub.waitFor(() => stub.registrations[registrationsBefore], 60_000, 'the second registration');
    // Then: the orphan quit (its data never lost power), so the copy is offered back as stopped cleanly
    expect(stub.recoveryReports).toEqual([]);
    expect(registration.copies).toEqual([{ volumeId, copyId, role: 'primary', generation: 3, state: 'held', stoppedCleanly: true }]);
    expect(await daemonPidsUnder(dataDir)).toEqual([]);
    expect(await tcpConnect(port)).toBe('ECONNREFUSED');
    expect(agents.at(-1)!.lines.some((line) => line.includes('stopped cleanly the daemon a previous agent left running'))).toBe(true);
  });

  it('when the agent is SIGKILLed while its copy is held (no daemon left) and started again, the copy is held, scanned and reported in recovery (after a 429, honouring Retry-After), and not served', async () => {
    // Given: the agent dies without a clean stop; no daemon outlives it
    const agent = agents.at(-1)!;
    agent.child.kill('SIGKILL');
    await agent.exit;
    // When
    const registrationsBefore = stub.registrations.length;
    stub.throttleRecoveryReports = 1;
    startAgent();
    const registration = await stub.waitFor(() => stub.registrations[registrationsBefore], 60_000, 'the third registration');
    // Then: no clean-stop marker and no daemon stopped cleanly, so the copy went through recovery; held by it, it is not offered at registration
    expect(stub.recoveryReports).toHaveLength(2);
    expect(stub.recoveryReports[1]).toEqual({
      trigger: 'unclean-shutdown',
      final: true,
      copies: [
        {
          volumeId, copyId, role: 'primary', generation: 3, sizeBytes: expect.any(Number),
          health: { readable: true, metadataConsistent: true },
          digest: { algorithm: 'sha256-64', chunkBytes: expect.any(Number), chunks: expect.arrayContaining([expect.stringMatching(/^[0-9a-f]{16}$/)]) },
        },
      ],
    });
    expect(registration.copies).toEqual([]);
    expect(await daemonPidsUnder(dataDir)).toEqual([]);
    expect(await tcpConnect(port)).toBe('ECONNREFUSED');
  });

  it('when resume-copy comes, the copy is served again on its port with its data', async () => {
    // When
    const resumed = await command('resume-copy', { volumeId, copyId, role: 'primary', generation: 4, clientKey: keys.clientKey, replicationKey: keys.replicationKey });
    // Then
    expect(resumed).toEqual({ status: 'succeeded', result: { copyId, nbd: { address: '127.0.0.1', port, exportName: volumeId } } });
    const client = await makeTlsClient(path.join(dir, 'client'), keys.clientKey);
    await qemuIoTls({ host: '127.0.0.1', port, exportName: volumeId }, client, ['write -P 0x66 0 64k', 'read -P 0x66 0 64k']);
  });

  it('when the copy\'s daemon is SIGKILLed (PID from agent-state.json), the next heartbeat reports daemon-died', async () => {
    // Given
    const pid = (await readState()).copies[0]!.daemonPid!;
    const beatsBefore = stub.heartbeats.length;
    // When
    process.kill(pid, 'SIGKILL');
    // Then
    const beat = await stub.waitFor(
      () => (stub.heartbeats.slice(beatsBefore) as Array<{ copies: Array<{ state: string }> }>).find((b) => b.copies[0]?.state === 'daemon-died'),
      10_000,
      'a heartbeat with daemon-died',
    );
    expect(beat.copies).toEqual([{ volumeId, copyId, role: 'primary', generation: 4, state: 'daemon-died', detail: 'qemu-storage-daemon exited unexpectedly (code -, signal SIGKILL)' }]);
    // The state file is rewritten on its own schedule, not before the heartbeat (CI once read it in between).
    await waitUntil(async () => !('daemonPid' in (await readState()).copies[0]!), 5_000, 'agent-state.json to drop the dead daemon');
    expect((await readState()).copies[0]).not.toHaveProperty('daemonPid');
  });

  it('when a result post is answered 409, it is not retried', async () => {
    // Given
    stub.resultStatus = 409;
    const commandId = newCommandId();
    // When
    await command('set-iops', { volumeId, copyId, iops: 100 }, commandId);
    // Then: a few more heartbeats pass without a second post of that result
    const beats = stub.heartbeats.length;
    await stub.waitFor(() => (stub.heartbeats.length >= beats + 5 ? true : undefined), 10_000, 'five more heartbeats');
    expect(stub.resultsOf(commandId)).toHaveLength(1);
    stub.resultStatus = 200;
  });

  it('when SIGTERM comes, it stops every daemon, releases every lock and exits 0', async () => {
    // Given: the copy is served again
    await command('resume-copy', { volumeId, copyId, role: 'primary', generation: 4, clientKey: keys.clientKey, replicationKey: keys.replicationKey });
    expect(await daemonPidsUnder(dataDir)).toHaveLength(1);
    const [row] = (await readState()).copies;
    const agent = agents.at(-1)!;
    // When
    agent.child.kill('SIGTERM');
    const exit = await agent.exit;
    // Then
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await daemonPidsUnder(dataDir)).toEqual([]);
    const lock = await CopyLock.acquire(path.join(path.dirname(row!.dataPath), 'lock'), copyId);
    await lock.release();
    expect((await readState()).copies).toEqual([]);
    expect(agent.lines.map((line) => JSON.parse(line).message)).toContain('stopped');
    // the daemon quit cleanly: no unclean-shutdown marker is left
    expect((await fs.readdir(path.dirname(row!.pidFile))).filter((file) => file.endsWith('.running'))).toEqual([]);
    // and the agent left its clean-stop marker: the next start is no recovery
    expect(await fs.readFile(path.join(dataDir, 'clean-stop'), 'utf8')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});
