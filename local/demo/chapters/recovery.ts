import { setTimeout as sleep } from 'node:timers/promises';
import { ok } from '../../../client/blockplane-api';
import { killHost, startAgent, waitForRegistration } from '../../local-fleet';
import { copyFileOf, hostOf, volumeOf, volumeReaching, type DemoContext } from '../demo-context';
import type { AttachedVolume } from './attach-and-write';


/**
 * Both hosts of the volume die and their agents come back (an unclean restart): no copy is known
 * to be current, so the returning copy is held impaired until the owner decides; the owner
 * enables it and every acknowledged write is on the copy that serves.
 */
export async function recoverAfterUncleanRestart(demo: DemoContext, attached: AttachedVolume): Promise<void> {
  const { story, tenant } = demo;
  const { volumeId } = attached.volume;
  story.chapter('8. Both hosts die and come back: the owner decides');
  const volume = await volumeOf(tenant, volumeId);
  const mirror = hostOf(demo, volume.copies.find((copy) => copy.role === 'mirror')!.hostId);
  const primary = hostOf(demo, volume.copies.find((copy) => copy.role === 'primary')!.hostId);
  killHost(mirror);
  story.log(`killed ${mirror.hostId} (mirror); the primary goes on alone with the writer`);
  await sleep(4_000);
  killHost(primary);
  const ackedBefore = attached.writer.acked();
  story.log(`killed ${primary.hostId} (primary) as well, ${ackedBefore} writes acknowledged; both come back 12 s later (unclean restart)`);
  await sleep(12_000);
  for (const host of [mirror, primary]) startAgent(host, demo.hostIdentities[host.hostId], { auditIntervalMs: 5_000 });
  for (const host of [mirror, primary]) await waitForRegistration(host, demo.deployment.hostsTableName);
  const impaired = await volumeReaching(demo, tenant, volumeId, ['impaired']);
  story.log(`  volume ${impaired.status}: ${impaired.statusReason ?? ''}`);
  const decision = await tenant.http.request('POST', `/volumes/${volumeId}/recovery-decision`, { action: 'enable' });
  if (decision.status !== 200 && decision.status !== 202) throw new Error(`enabling the recovered copy answered ${decision.status}: ${decision.text}`);
  story.log('POST /volumes/{id}/recovery-decision {"action":"enable"} as the owner');
  const serving = await volumeReaching(demo, tenant, volumeId, ['in-use', 'degraded']);
  await story.until('the writer to go on', async () => (attached.writer.acked() > ackedBefore + 300 ? true : undefined));
  await attached.writer.stop();
  const served = (await volumeOf(tenant, volumeId)).copies.find((copy) => copy.role === 'primary') ?? serving.copies[0];
  const check = attached.writer.verify(copyFileOf(demo, served));
  const recovery = ok<{ state: string; decisions: readonly { by: string; why: string }[] }>(await tenant.http.request('GET', `/volumes/${volumeId}/recovery`));
  story.prove({
    chapter: 'unclean restart',
    proves: 'the returning copy waits for the owner, then serves every acknowledged write',
    figures: `recovery ${recovery.state}, ${recovery.decisions.length} decision(s); ${check.acked} acknowledged writes checked on ${served.hostId}, ${check.lost} missing; ${attached.writer.errors().length} client errors while no host served`,
    ok: check.lost === 0 && check.acked > ackedBefore,
  });
}
