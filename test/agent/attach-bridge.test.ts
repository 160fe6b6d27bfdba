/**
 * The CLI's attach bridge (bin/attach-bridge.ts) against a real copy: a qemu-storage-daemon
 * serving a copy on a loop-device filesystem with TLS-PSK (agent library), the real bridge (its
 * process, its qemu-storage-daemon and relay) serving a local unix socket, and real NBD
 * clients (qemu-io, nbdinfo) on that socket. Following a moving primary under a writer is in
 * bridge-follows-primary.test.ts. The kernel side (nbd-client, /dev/nbd*) is not exercised: this
 * machine has no nbd module.
 */
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { CopyStore } from '../../agent/copies/copy-store';
import { generatePskKey, type PskKey } from '../../agent/tls/psk-keys-file';
import { runCommand } from '../../agent/util/run-command';
import {
  BRIDGE_FILES,
  BridgeError,
  bridgeUri,
  isBridgeProcess,
  readBridgeState,
  startBridge,
  stopBridge,
  
  type BridgeState,
} from '../../bin/attach-bridge';
import { main } from '../../bin/blockplane';
import { DaemonReaper, isAlive } from './helpers/daemon-reaper';
import { LoopFilesystem } from './helpers/loop-filesystem';
import { MiB, ServedTestCopy, copySpec, createAndServe, waitUntil } from './helpers/copy-fixture';
import { fileMode, freePort, nbdinfoSize, qemuIoFile } from './helpers/nbd-clients';
import type { AttachmentView } from '../../client/blockplane-api';
import { usageFromStatfs } from '../../client/bridge/usage-report';

jest.setTimeout(120_000);

/** qemu-io on the bridge's socket; qemu-io exits 0 even when a command fails, so look at its output. */
async function qemuIoUnix(bridge: Pick<BridgeState, 'exportName' | 'socketPath'>, commands: string[]): Promise<void> {
  const output = await runCommand('qemu-io', ['-f', 'raw', bridgeUri(bridge), ...commands.flatMap((command) => ['-c', command])], { timeoutMs: 60_000 });
  if (/failed|error|Pattern verification/i.test(output.stdout + output.stderr)) throw new Error(`qemu-io reported a failure:\n${output.stdout}\n${output.stderr}`);
}

function connectionTo(volume: ServedTestCopy, key: PskKey, port = volume.target.port): AttachmentView {
  return {
    attachmentId: 'att-0123456789ab',
    volumeId: volume.copy.volumeId,
    generation: 1,
    hostId: 'test-host',
    nbd: { address: volume.target.host, port, exportName: volume.target.exportName },
    tls: { type: 'psk', identity: key.identity, keyHex: key.keyHex },
  };
}

describe('attach bridge: a TLS-PSK client of an export, serving a local unix socket', () => {
  const reaper = new DaemonReaper();
  const clientKey = generatePskKey('tenant');
  let fsys: LoopFilesystem;
  let volume: ServedTestCopy;
  let runRoot: string;
  let bridge: BridgeState | undefined;

  beforeAll(async () => {
    fsys = await LoopFilesystem.create();
    runRoot = path.join(fsys.root, 'run');
    const store = new CopyStore({ dataDir: path.join(fsys.mountPoint, 'copies') });
    volume = await createAndServe(store, reaper, copySpec({ sizeBytes: 64 * MiB }), { clientKeys: [clientKey] });
  });

  afterAll(async () => {
    if (bridge && isBridgeProcess(bridge.pid, bridge.socketPath)) await stopBridge(bridge);
    await reaper.stopAll();
    await volume?.copy.release();
    await fsys?.destroy();
  });

  it('when started with the volume key, it serves the export on a private unix socket and writes reach the copy', async () => {
    // Act
    bridge = await startBridge(connectionTo(volume, clientKey), { runRoot });
    // Assess: the process, its files and their modes
    expect(isBridgeProcess(bridge.pid, bridge.socketPath)).toBe(true);
    expect(readBridgeState(volume.copy.volumeId, runRoot)).toMatchObject({ pid: bridge.pid, attachmentId: 'att-0123456789ab', socketPath: bridge.socketPath });
    expect(await fileMode(bridge.dir)).toBe(0o700);
    expect(await fileMode(bridge.socketPath)).toBe(0o600);
    expect(await fileMode(path.join(bridge.dir, BRIDGE_FILES.tlsDir))).toBe(0o700);
    expect(await fileMode(path.join(bridge.dir, BRIDGE_FILES.tlsDir, 'keys.psk'))).toBe(0o600);
    expect(await fileMode(path.join(bridge.dir, BRIDGE_FILES.state))).toBe(0o600);
    // Assess: data written through the socket is read back, and is in the copy's file
    expect(await nbdinfoSize(bridgeUri(bridge))).toBe(64 * MiB);
    await qemuIoUnix(bridge, ['write -P 0x5c 1M 1M', 'write -P 0xc5 63M 4k']);
    await qemuIoUnix(bridge, ['read -P 0x5c 1M 1M', 'read -P 0xc5 63M 4k', 'read -P 0 0 1M']);
    await qemuIoFile(volume.copy.dataPath, ['read -P 0x5c 1M 1M', 'read -P 0xc5 63M 4k']);
  });

  it('when a bridge for the volume already runs, a second start is refused', async () => {
    await expect(startBridge(connectionTo(volume, clientKey), { runRoot })).rejects.toThrow(/already runs/);
    expect(isBridgeProcess(bridge!.pid, bridge!.socketPath)).toBe(true);
  });

  it('when started with a wrong key, the bridge fails to connect, exits, and leaves no socket behind', async () => {
    // Prepare: same identity, another key; another run folder so the running bridge is not in the way
    const wrongKey = generatePskKey('tenant');
    const otherRoot = path.join(fsys.root, 'run-wrong');
    // Act
    const failure = await startBridge(connectionTo(volume, wrongKey), { runRoot: otherRoot }).then(
      () => undefined,
      (error: unknown) => error,
    );
    // Assess
    expect(failure).toBeInstanceOf(BridgeError);
    expect((failure as BridgeError).message).toMatch(/TLS handshake failed/);
    expect((failure as BridgeError).pid).toBeDefined();
    expect(isAlive((failure as BridgeError).pid!)).toBe(false);
    await expect(fileMode(path.join(otherRoot, volume.copy.volumeId, BRIDGE_FILES.socket))).rejects.toThrow(/ENOENT/);
    expect(readBridgeState(volume.copy.volumeId, otherRoot)).toBeUndefined();
  });

  it('when the export never answers, the bridge is killed after the ready timeout', async () => {
    // Prepare: a peer that accepts TCP connections and never speaks (QEMU would wait forever, qemu-7.2 §9.5)
    const silent = net.createServer(() => undefined);
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      // Act
      const started = Date.now();
      const failure = await startBridge(connectionTo(volume, clientKey, port), { runRoot: path.join(fsys.root, 'run-silent'), readyTimeoutMs: 1_500 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      // Assess
      expect(failure).toBeInstanceOf(BridgeError);
      expect((failure as BridgeError).message).toMatch(/did not open .* within 1500 ms/);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(isAlive((failure as BridgeError).pid!)).toBe(false);
    } finally {
      silent.close();
    }
  });

  it('when stopped, the bridge process ends by its PID and its socket and key file are removed', async () => {
    // Prepare
    const running = bridge!;
    // Act
    const report = await stopBridge(running);
    // Assess
    expect(report).toEqual({ pid: running.pid, wasRunning: true, killed: false });
    await waitUntil(() => !isAlive(running.pid), 5_000, `bridge PID ${running.pid} to be reaped`);
    await expect(fileMode(running.socketPath)).rejects.toThrow(/ENOENT/);
    await expect(fileMode(path.join(running.dir, BRIDGE_FILES.tlsDir, 'keys.psk'))).rejects.toThrow(/ENOENT/);
    expect(readBridgeState(volume.copy.volumeId, runRoot)).toBeUndefined();
    await expect(qemuIoUnix(running, ['read 0 4k'])).rejects.toThrow();
    // and the export itself is untouched: a new bridge connects again
    bridge = await startBridge(connectionTo(volume, clientKey), { runRoot });
    await qemuIoUnix(bridge, ['read -P 0x5c 1M 1M']);
    const pid = bridge.pid;
    await stopBridge(bridge);
    await waitUntil(() => !isAlive(pid), 5_000, `bridge PID ${pid} to be reaped`);
  });
});

/**
 * The CLI's `attach --bridge-only` and `detach` (bin/blockplane.ts) end to end against a stub of
 * the attachments API (a local HTTP server that checks the SigV4 header and answers like the
 * real routes) and two real copies: the stub first names copy 1 as the primary, then, as after
 * a fail-over, copy 2. The kernel part (nbd-client) cannot run here: no nbd module.
 */
describe('blockplane attach --bridge-only / detach, against a stub API', () => {
  const reaper = new DaemonReaper();
  const clientKey = generatePskKey('tenant');
  const volumeId = 'vol-0123456789abcdef0';
  const attachmentId = 'att-00112233aabb';
  let fsys: LoopFilesystem;
  let first: ServedTestCopy;
  let second: ServedTestCopy;
  let current: ServedTestCopy;
  let api: http.Server;
  let runRoot: string;
  let outputsFile: string;
  const requests: string[] = [];
  /** The bodies of `POST /volumes/{id}/utilization` the stub took, and how many more it answers with 503 first. */
  const utilizationReports: { usedGiB: number }[] = [];
  let failUtilizationReports = 0;
  const savedEnv = { ...process.env };

  const cli = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    let stdout = '';
    let stderr = '';
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += chunk.toString();
      return true;
    });
    const errors = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += chunk.toString();
      return true;
    });
    try {
      const code = await main([...args, '--outputs', outputsFile, '--run-dir', runRoot]);
      return { code, stdout, stderr };
    } finally {
      write.mockRestore();
      errors.mockRestore();
    }
  };

  beforeAll(async () => {
    fsys = await LoopFilesystem.create();
    runRoot = path.join(fsys.root, 'run');
    const spec = copySpec({ volumeId, sizeBytes: 32 * MiB });
    first = await createAndServe(new CopyStore({ dataDir: path.join(fsys.mountPoint, 'host-1') }), reaper, spec, { clientKeys: [clientKey] });
    second = await createAndServe(new CopyStore({ dataDir: path.join(fsys.mountPoint, 'host-2') }), reaper, { ...spec, copyId: `${spec.copyId}-2` }, { clientKeys: [clientKey] });
    current = first;
    api = http.createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      const signed = /^AWS4-HMAC-SHA256 Credential=AKIDSTUB\//.test(request.headers.authorization ?? '');
      const base = `/volumes/${volumeId}/attachments`;
      const send = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const connection = () => ({
        attachmentId,
        volumeId,
        generation: current === first ? 1 : 2,
        hostId: current === first ? 'host-1' : 'host-2',
        nbd: { address: current.target.host, port: current.target.port, exportName: volumeId },
        tls: { type: 'psk', identity: clientKey.identity, keyHex: clientKey.keyHex },
      });
      if (!signed) send(403, { message: 'Missing Authentication Token' });
      else if (request.method === 'POST' && request.url === base) send(201, connection());
      else if (request.method === 'GET' && request.url === `${base}/${attachmentId}`) send(200, connection());
      else if (request.method === 'DELETE' && request.url === `${base}/${attachmentId}`) send(200, { volumeId, attachmentId, status: 'available' });
      else if (request.method === 'POST' && request.url === `/volumes/${volumeId}/utilization`) {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          if (failUtilizationReports > 0) {
            failUtilizationReports -= 1;
            send(503, { code: 'ServiceUnavailable', message: 'stub: try again later' });
            return;
          }
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { usedGiB: number };
          utilizationReports.push(body);
          send(200, { volumeId, utilization: { usedGiB: body.usedGiB, percent: Math.min(100, Math.round((100 * body.usedGiB) / 1)), reportedAt: new Date().toISOString() } });
        });
      }
      else send(404, { code: 'NotFound', message: `no route ${request.method} ${request.url}` });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => api.listen(port, '127.0.0.1', resolve));
    const outputs = Object.fromEntries(
      ['ApiId', 'ApiStage', 'VolumesTableName', 'HostsTableName', 'HostCommandsTableName', 'ReportsBucketName', 'CreateVolumeStateMachineArn', 'DeleteVolumeStateMachineArn'].map((key) => [key, 'stub']),
    );
    outputsFile = path.join(fsys.root, 'outputs.json');
    await fs.writeFile(outputsFile, JSON.stringify({ Api: { ...outputs, ApiUrl: `http://127.0.0.1:${port}` } }));
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_PROFILE;
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDSTUB', AWS_SECRET_ACCESS_KEY: 'stub-secret', AWS_REGION: 'us-east-1' });
  });

  afterAll(async () => {
    process.env = savedEnv;
    const left = readBridgeState(volumeId, runRoot);
    if (left && isBridgeProcess(left.pid, left.socketPath)) await stopBridge(left);
    await new Promise((resolve) => api?.close(resolve));
    await reaper.stopAll();
    await first?.copy.release();
    await second?.copy.release();
    await fsys?.destroy();
  });

  it('when attached with --bridge-only, it creates an attachment and serves the primary on the local socket', async () => {
    // Act
    const { code, stdout } = await cli('attach', volumeId, '--bridge-only');
    // Assess
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { attachmentId: string; bridge: { pid: number; socket: string; uri: string }; device: null };
    expect(printed).toMatchObject({ attachmentId, device: null, bridge: { socket: path.join(runRoot, volumeId, 'nbd.sock') } });
    // (the bridge process reads the attachment itself from now on: GETs)
    expect(requests.filter((request) => !request.startsWith('GET'))).toEqual([`POST /volumes/${volumeId}/attachments`]);
    await qemuIoUnix({ exportName: volumeId, socketPath: printed.bridge.socket }, ['write -P 0x61 0 64k']);
    await qemuIoFile(first.copy.dataPath, ['read -P 0x61 0 64k']);
  });

  it('when the primary moved, the running bridge follows it on the same socket, and a re-run of attach keeps that bridge', async () => {
    // Prepare
    const before = readBridgeState(volumeId, runRoot)!;
    current = second;
    // Act: the bridge notices at its next read of the attachment (every 5 s)
    await waitUntil(() => readBridgeState(volumeId, runRoot)?.hostId === 'host-2', 20_000, 'the bridge to follow the primary to host-2');
    const { code, stderr } = await cli('attach', volumeId, '--bridge-only');
    // Assess
    expect(code === 0 ? 'exit 0' : stderr).toBe('exit 0');
    expect(requests.at(-1)).toBe(`GET /volumes/${volumeId}/attachments/${attachmentId}`);
    const after = readBridgeState(volumeId, runRoot)!;
    expect({ pid: after.pid, socketPath: after.socketPath, hostId: after.hostId, follows: after.follows }).toEqual({ pid: before.pid, socketPath: before.socketPath, hostId: 'host-2', follows: true });
    await qemuIoUnix(after, ['write -P 0x62 1M 64k']);
    await qemuIoFile(second.copy.dataPath, ['read -P 0x62 1M 64k']);
  });

  it('when detached, it stops the bridge by its PID, removes its files and deletes the attachment', async () => {
    // Prepare
    const state = readBridgeState(volumeId, runRoot)!;
    // Act
    const { code, stdout } = await cli('detach', volumeId, '--attachment', attachmentId);
    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ volumeId, attachmentId, status: 'available' });
    expect(requests.at(-1)).toBe(`DELETE /volumes/${volumeId}/attachments/${attachmentId}`);
    await waitUntil(() => !isAlive(state.pid), 5_000, `bridge PID ${state.pid} to be reaped`);
    await expect(fs.stat(path.join(runRoot, volumeId))).rejects.toThrow(/ENOENT/);
  });

  it('when attached with --report-usage DIR, the bridge reports that filesystem\'s usage at once and every interval, rides out a failed report, and detach stops it', async () => {
    // Prepare: the loop filesystem of this test is the "mounted volume"; the stub refuses the first report
    const mountpoint = fsys.mountPoint;
    const statfsUsedGiB = async () => usageFromStatfs(await fs.statfs(mountpoint)).usedGiB;
    utilizationReports.length = 0;
    failUtilizationReports = 1;
    // Act
    const { code, stdout, stderr } = await cli('attach', volumeId, '--bridge-only', '--report-usage', mountpoint, '--report-interval-seconds', '5');
    // Assess: attached, and the settings are what the bridge runs with
    expect(code === 0 ? 'exit 0' : stderr).toBe('exit 0');
    const printed = JSON.parse(stdout) as { bridge: { pid: number; socket: string }; usageReport: unknown };
    expect(printed.usageReport).toEqual({ mountpoint, intervalSeconds: 5 });
    expect(readBridgeState(volumeId, runRoot)!.usageReport).toEqual({ mountpoint, intervalSeconds: 5 });
    // the first report was refused (503): the next period's went through, and it is statfs of the directory
    await waitUntil(() => utilizationReports.length >= 1, 20_000, 'a usage report that the stub took');
    expect(Math.abs(utilizationReports[0]!.usedGiB - (await statfsUsedGiB()))).toBeLessThan(0.002);
    const log = await fs.readFile(path.join(runRoot, volumeId, BRIDGE_FILES.log), 'utf8');
    expect(log.match(/could not report the filesystem usage/g)).toHaveLength(1);
    expect(log).toMatch(/HTTP 503 ServiceUnavailable: stub: try again later/);
    // the failure did not touch the attachment: the socket serves
    await qemuIoUnix({ exportName: volumeId, socketPath: printed.bridge.socket }, ['read 0 64k']);

    // When the filesystem fills by 24 MiB, a later report says so
    const filler = path.join(mountpoint, 'usage-filler.bin');
    await fs.writeFile(filler, Buffer.alloc(24 * MiB, 0x5a));
    await runCommand('sync', ['-f', filler]);
    const expected = await statfsUsedGiB();
    expect(expected - utilizationReports[0]!.usedGiB).toBeGreaterThan(0.02);
    await waitUntil(() => Math.abs(utilizationReports.at(-1)!.usedGiB - expected) < 0.002, 20_000, `a report of about ${expected} GiB`);

    // A re-run keeps the running bridge: with the same settings it is fine, with others refused (exit 2) before any call
    expect((await cli('attach', volumeId, '--bridge-only', '--report-usage', mountpoint, '--report-interval-seconds', '5')).code).toBe(0);
    // (the bridge's own calls go on meanwhile: count the others)
    const callsOfTheCli = () => requests.filter((request) => !request.includes('/utilization') && !request.startsWith('GET')).length;
    const calls = callsOfTheCli();
    const other = await cli('attach', volumeId, '--bridge-only', '--report-usage', mountpoint, '--report-interval-seconds', '10');
    expect({ code: other.code, calls: callsOfTheCli() }).toEqual({ code: 2, calls });
    expect(other.stderr).toMatch(/a running bridge keeps its settings: detach and attach again/);

    // When detached, the bridge (and with it the reporter) is gone
    expect((await cli('detach', volumeId, '--attachment', attachmentId)).code).toBe(0);
    await waitUntil(() => !isAlive(printed.bridge.pid), 5_000, `bridge PID ${printed.bridge.pid} to be reaped`);
    await fs.rm(filler);
  });

  it('when arguments are wrong, it exits 2 without calling the API', async () => {
    const calls = requests.length;
    expect((await cli('attach', 'vol-nope', '--bridge-only')).code).toBe(2);
    expect((await cli('attach', volumeId, '--bridge-only', '--device', '/dev/nbd0')).code).toBe(2);
    expect((await cli('attach', volumeId, '--bridge-only', '--report-interval-seconds', '60')).code).toBe(2);
    expect((await cli('attach', volumeId, '--bridge-only', '--report-usage', path.join(fsys.root, 'no-such-dir'))).code).toBe(2);
    expect((await cli('attach', volumeId, '--bridge-only', '--report-usage', fsys.mountPoint, '--report-interval-seconds', '1')).code).toBe(2);
    expect((await cli('attach', volumeId, '--bridge-only', '--report-usage', fsys.mountPoint, '--report-interval-seconds', '901')).code).toBe(2);
    expect((await cli('detach', volumeId)).code).toBe(2);
    expect((await cli('volumes', 'create', '--size-gib', '1', '--type', 'nvme', '--location', 'x')).code).toBe(2);
    expect(requests.length).toBe(calls);
  });

  it('when the kernel has no nbd module, attach without --bridge-only fails loudly before creating anything', async () => {
    // Only meaningful where the module is absent and cannot be loaded (this machine); elsewhere it would really attach.
    const moduleAvailable = (await fs.stat('/sys/module/nbd').then(() => true, () => false)) || (await runCommand('modinfo', ['nbd']).then(() => true, () => false));
    if (moduleAvailable) return;
    const calls = requests.length;
    let stderr = '';
    const errors = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += chunk.toString();
      return true;
    });
    try {
      expect(await main(['attach', volumeId, '--outputs', outputsFile, '--run-dir', runRoot])).toBe(3);
    } finally {
      errors.mockRestore();
    }
    expect(stderr).toMatch(/CANNOT ATTACH: this machine has no NBD kernel support/);
    expect(requests.length).toBe(calls);
  });
});
