import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VolumeApi } from '../client/blockplane-api';
import { loadDeployment } from '../client/deployment';
import { SignedHttp } from '../client/signed-http';
import { attachAndWrite, type AttachedVolume } from './demo/chapters/attach-and-write';
import { audit } from './demo/chapters/audit';
import { diagnose } from './demo/chapters/diagnose';
import { failOver } from './demo/chapters/fail-over';
import { modifyWhileWriting } from './demo/chapters/modify-while-writing';
import { notices } from './demo/chapters/notices';
import { recoverAfterUncleanRestart } from './demo/chapters/recovery';
import { snapshotAndRestore } from './demo/chapters/snapshot-and-restore';
import { cli, volumeReaching, type DemoContext } from './demo/demo-context';
import { Story } from './demo/story';
import { createLocalIdentities, createOperatorIdentity, type Identity } from './identities';
import { createLocalHost, destroyLocalHost, startAgent, waitForRegistration, type LocalHost } from './local-fleet';
import { removeStorageBridge } from './storage-network';

/**
 * The main job on the local cloud, the whole story in about three minutes: three storage hosts
 * (network namespaces, loop-device disks, real agents and qemu-storage-daemons); a replicated
 * volume created, attached through the bridge and written by a writer that logs every
 * acknowledged write; re-rated, grown and moved while it writes; snapshotted under writes and
 * restored; a host killed (fail-over, a new mirror); a diagnostics report collected and
 * diagnosed; a compliance report with one injected failure; the notice reaching only the
 * affected tenant; both hosts of the volume killed and restarted, and the owner's decision.
 * Each chapter prints what it proves; a table sums them up.
 */
/** A location of this run only, so a run never meets an earlier run's hosts or volumes on the same cloud. */
const LOCATION = `demo-${randomUUID().slice(0, 6)}`;
const HOST_NAMES = ['d1', 'd2', 'd3'];

function signedAs(baseUrl: string, region: string, identity: Identity): SignedHttp {
  return new SignedHttp({ baseUrl, region, credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey } });
}

async function startHosts(demo: DemoContext, identities: Record<string, Identity>): Promise<void> {
  demo.story.chapter('0. Three storage hosts');
  for (const [index, name] of HOST_NAMES.entries()) {
    const host = await createLocalHost(index + 1, LOCATION);
    demo.hosts.push(host);
    demo.hostIdentities[host.hostId] = identities[name];
    startAgent(host, identities[name], { auditIntervalMs: 5_000 });
  }
  for (const host of demo.hosts) {
    await waitForRegistration(host, demo.deployment.hostsTableName);
    demo.story.log(`${host.hostId}: namespace ${host.network.netns}, address ${host.network.address}, disks ${host.loopDevices.map((d) => `${d.device} (${d.type})`).join(', ')}`);
  }
}

async function main(): Promise<void> {
  const deployment = loadDeployment();
  const identities = await createLocalIdentities(['demo', 'demo-bystander'], HOST_NAMES);
  const operator = await createOperatorIdentity('operator-demo');
  const story = new Story();
  const demo: DemoContext = {
    story,
    deployment,
    location: LOCATION,
    tenant: new VolumeApi(signedAs(deployment.baseUrl, deployment.region, identities.tenants.demo)),
    tenantIdentity: identities.tenants.demo,
    bystander: new VolumeApi(signedAs(deployment.baseUrl, deployment.region, identities.tenants['demo-bystander'])),
    operator: signedAs(deployment.baseUrl, deployment.region, operator),
    hosts: [] as LocalHost[],
    hostIdentities: {},
    work: mkdtempSync(join(tmpdir(), 'blockplane-demo-')),
  };
  story.log(`API at ${deployment.baseUrl}`);
  let attached: AttachedVolume | undefined;
  try {
    await startHosts(demo, identities.hosts);
    attached = await attachAndWrite(demo);
    await modifyWhileWriting(demo, attached);
    await snapshotAndRestore(demo, attached);
    const killed = await failOver(demo, attached);
    await diagnose(demo);
    await audit(demo, demo.hosts.filter((host) => host.hostId !== killed).map((host) => host.hostId));
    await notices(demo, attached, killed);
    await recoverAfterUncleanRestart(demo, attached);
    process.stdout.write(`\n${story.summary()}\n`);
  } finally {
    if (attached) {
      attached.writer.kill();
      await cli(demo, 'detach', attached.volume.volumeId, '--attachment', attached.attachmentId, '--force').catch(() => undefined);
      // The hosts must live until their copies are deleted and the capacity given back.
      await Promise.all(
        [
          { api: demo.tenant, volumeId: attached.volume.volumeId },
          { api: demo.bystander, volumeId: attached.bystanderVolumeId },
        ].map(async ({ api, volumeId }) => {
          await api.delete(volumeId);
          await volumeReaching(demo, api, volumeId, ['deleted']);
        }),
      ).catch((error: unknown) => story.log(`cleaning up: ${error instanceof Error ? error.message : String(error)}`));
    }
    for (const host of demo.hosts) await destroyLocalHost(host);
    await removeStorageBridge();
    rmSync(demo.work, { recursive: true, force: true });
    story.log('detached, volumes deleted, hosts stopped, namespaces and loop devices removed');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
