/**
 * The attach bridge's own process, started detached by `startBridge` (bin/attach-bridge.ts):
 * `node --import tsx bin/attach-bridge-process.ts --dir=<bridge folder> --socket=<unix socket>`.
 *
 * It reads `<dir>/bridge.json` (what to connect to, how to reach the API) and the client key
 * from `<dir>/tls/keys.psk`, runs the {@link BridgeDaemon} (a qemu-storage-daemon, the relay and
 * the attachment watcher), and writes its PID to `<dir>/bridge.pid` once the unix socket serves
 * the volume: that file is the readiness signal. When the primary or the key changes it rewrites
 * the key file and `state.json`. With `usageReport` in its config it reports the filesystem's
 * usage to the API from then on (client/bridge/usage-reporter.ts), until it stops.
 * SIGTERM stops it cleanly; it exits 1 if its daemon dies.
 * Log lines (JSON) go to stderr, which `startBridge` sends to `<dir>/bridge.log`.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writePskKeysFile } from '../agent/tls/psk-keys-file';
import { writeFileAtomic } from '../agent/util/atomic-write';
import { JsonLineLogger } from '../agent/util/logger';
import { ok, VolumeApi, type AttachmentView } from '../client/blockplane-api';
import { BridgeDaemon } from '../client/bridge/bridge-daemon';
import { UsageReporter } from '../client/bridge/usage-reporter';
import { loadApiEndpoint } from '../client/deployment';
import { SignedHttp } from '../client/signed-http';
import { BRIDGE_FILES, type BridgeConfig, type BridgeState } from './attach-bridge';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, socket: { type: 'string' } }, strict: true });
  if (!values.dir || !values.socket) throw new Error('usage: attach-bridge-process.ts --dir=DIR --socket=SOCKET');
  const dir = values.dir;
  const config = JSON.parse(readFileSync(path.join(dir, BRIDGE_FILES.config), 'utf8')) as BridgeConfig;
  const [identity, keyHex] = readFileSync(path.join(dir, BRIDGE_FILES.tlsDir, 'keys.psk'), 'utf8').trim().split(':');
  const initial: AttachmentView = { ...config.attachment, tls: { type: 'psk', identity: identity ?? '', keyHex: keyHex ?? '' } };
  const logger = new JsonLineLogger({ component: 'attach-bridge', volumeId: initial.volumeId, attachmentId: initial.attachmentId });

  let readAttachment: (() => Promise<AttachmentView>) | undefined;
  let reporter: UsageReporter | undefined;
  if (config.outputsFile) {
    const endpoint = loadApiEndpoint(config.outputsFile);
    const api = new VolumeApi(new SignedHttp({ baseUrl: endpoint.baseUrl, region: endpoint.region, credentials: defaultProvider(), timeoutMs: 5_000 }));
    readAttachment = async () => ok<AttachmentView>(await api.getAttachment(initial.volumeId, initial.attachmentId));
    if (config.usageReport) {
      reporter = new UsageReporter({
        ...config.usageReport,
        report: async (usedGiB) => void ok(await api.reportUtilization(initial.volumeId, usedGiB)),
        logger: logger.child({ part: 'usage-report' }),
      });
    }
  }

  const record = async (view: AttachmentView): Promise<void> => {
    await writePskKeysFile(path.join(dir, BRIDGE_FILES.tlsDir), [{ identity: view.tls.identity, keyHex: view.tls.keyHex }]);
    const stateFile = path.join(dir, BRIDGE_FILES.state);
    const state = JSON.parse(await fs.readFile(stateFile, 'utf8').catch(() => 'null')) as BridgeState | null;
    if (!state) return;
    const next: BridgeState = { ...state, generation: view.generation, hostId: view.hostId, endpoint: { ...view.nbd }, identity: view.tls.identity };
    await writeFileAtomic(stateFile, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
  };
  const bridge = new BridgeDaemon({
    dir,
    socketPath: values.socket,
    relaySocketPath: path.join(dir, BRIDGE_FILES.relaySocket),
    initial,
    readAttachment,
    onAttachmentChange: (view) => void record(view).catch((error: unknown) => logger.warn('could not record the new primary', { error: (error as Error).message })),
    reconnectDelaySeconds: config.reconnectDelaySeconds,
    pollIntervalMs: config.pollIntervalMs,
    maxClients: config.maxClients,
    qsdBinary: config.qsdBinary,
    logger,
  });
  await bridge.start();
  await fs.writeFile(path.join(dir, BRIDGE_FILES.pid), `${process.pid}\n`, { mode: 0o600 });
  logger.info('bridge serving', { socket: values.socket, daemonPid: bridge.pid, primary: `${initial.nbd.address}:${initial.nbd.port}` });
  reporter?.start();

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info('stopping', { signal });
      reporter?.stop();
      void bridge.stop().then(() => resolve(0));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    bridge.onDaemonExit((exit) => {
      if (exit.expected || stopping) return;
      logger.error('the bridge daemon exited; the bridge stops', { ...exit });
      stopping = true;
      reporter?.stop();
      void bridge.stop().then(() => resolve(1));
    });
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`attach bridge failed: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(1);
  },
);
