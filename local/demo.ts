import { HostApi, ok, VolumeApi, type VolumeView } from '../client/blockplane-api';
import { loadDeployment } from '../client/deployment';
import { SignedHttp } from '../client/signed-http';
import { createLocalIdentities, type Identity } from './identities';
import { ScriptedHost } from './scripted-host';

/** Bounded wait for a volume status; the demo never sleeps for a fixed time. */
const STATUS_TIMEOUT_MS = 60_000;

function log(message: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 23)}] ${message}\n`);
}

async function waitForStatus(volumes: VolumeApi, volumeId: string, wanted: string): Promise<VolumeView> {
  const deadline = Date.now() + STATUS_TIMEOUT_MS;
  let last = '';
  for (;;) {
    const volume = ok<VolumeView>(await volumes.get(volumeId));
    if (volume.status !== last) log(`  ${volumeId} is ${volume.status}${volume.statusReason ? ` (${volume.statusReason})` : ''}`);
    last = volume.status;
    if (volume.status === wanted) return volume;
    if (volume.status === 'error') throw new Error(`volume ${volumeId} failed: ${volume.statusReason}`);
    if (Date.now() > deadline) throw new Error(`volume ${volumeId} did not become ${wanted} within ${STATUS_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function main(): Promise<void> {
  const deployment = loadDeployment();
  const http = (identity: Identity) =>
    new SignedHttp({ baseUrl: deployment.baseUrl, region: deployment.region, credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey } });
  log(`API at ${deployment.baseUrl}`);
  const identities = await createLocalIdentities(['demo'], ['demo-1', 'demo-2']);
  const location = 'local-1';

  const hosts = ['demo-1', 'demo-2'].map(
    (name, i) =>
      new ScriptedHost(new HostApi(http(identities.hosts[name])), {
        hostId: `${location}-${name}`,
        location,
        address: `10.0.0.${i + 1}`,
        capacityGiB: 1000,
        iopsCapacity: 50_000,
        behaviour: 'succeed',
      }),
  );
  for (const host of hosts) {
    await host.register();
    host.start();
    log(`host ${host.options.hostId} registered (${host.options.capacityGiB} GiB ssd, ${host.options.iopsCapacity} IOPS) and polling for commands`);
  }

  const volumes = new VolumeApi(http(identities.tenants.demo));
  const request = { sizeGiB: 20, type: 'ssd', iops: 4000, location, clientToken: `demo-${Date.now()}` };
  log(`POST /volumes ${JSON.stringify(request)}`);
  const accepted = ok<VolumeView>(await volumes.create(request));
  const available = await waitForStatus(volumes, accepted.volumeId, 'available');
  for (const copy of available.copies) log(`  ${copy.role} copy ${copy.copyId} on host ${copy.hostId}`);

  log(`DELETE /volumes/${accepted.volumeId}`);
  ok(await volumes.delete(accepted.volumeId));
  await waitForStatus(volumes, accepted.volumeId, 'deleted');
  for (const host of hosts) await host.stop();
  log('done');
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
