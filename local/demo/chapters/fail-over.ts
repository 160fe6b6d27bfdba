import { ok, type AttachmentView } from '../../../client/blockplane-api';
import { killHost } from '../../local-fleet';
import { hostOf, volumeOf, volumeReaching, type DemoContext } from '../demo-context';
import type { AttachedVolume } from './attach-and-write';

/**
 * The host to kill: the demo volume's primary's, unless the bystander tenant has a copy there too
 * (the notices chapter shows that the bystander is not told); then its mirror's.
 */
async function hostToKill(demo: DemoContext, attached: AttachedVolume): Promise<string> {
  const volume = await volumeOf(demo.tenant, attached.volume.volumeId);
  const bystanderHosts = (await volumeOf(demo.bystander, attached.bystanderVolumeId)).copies.map((copy) => copy.hostId);
  const primary = volume.copies.find((copy) => copy.role === 'primary')!.hostId;
  if (!bystanderHosts.includes(primary)) return primary;
  return volume.copies.find((copy) => !bystanderHosts.includes(copy.hostId))?.hostId ?? primary;
}

/** Kills a storage host of the volume while the writer runs: fail-over, the writer pauses and goes on, the volume gets a new mirror. Returns the killed host. */
export async function failOver(demo: DemoContext, attached: AttachedVolume): Promise<string> {
  const { story, tenant } = demo;
  const { volumeId } = attached.volume;
  story.chapter('4. A storage host dies');
  const victim = await hostToKill(demo, attached);
  const before = await volumeOf(tenant, volumeId);
  const role = before.copies.find((copy) => copy.hostId === victim)?.role;
  const acked = attached.writer.acked();
  const killedAt = Date.now();
  story.log(`killing ${victim} (the ${role} copy's host): SIGKILL to its agent and storage daemons (pids ${killHost(hostOf(demo, victim)).join(', ')})`);
  const attachment = await story.until('the attachment to name a host that lives', async () => {
    const answer = await tenant.http.request('GET', `/volumes/${volumeId}/attachments/${attached.attachmentId}`);
    if (answer.status === 409) return undefined;
    const seen = ok<AttachmentView>(answer);
    return seen.hostId !== victim ? seen : undefined;
  });
  const failedOver = Date.now() - killedAt;
  const outcome = role === 'primary'
    ? `the mirror on ${attachment.hostId} promoted at generation ${attachment.generation} after ${(failedOver / 1000).toFixed(1)} s`
    : `the primary on ${attachment.hostId} kept serving (generation ${attachment.generation}): only its mirror was lost`;
  story.log(`  ${outcome}`);
  await story.until('the writer to go on', async () => (attached.writer.acked() > acked + 300 ? true : undefined));
  const healed = await volumeReaching(demo, tenant, volumeId, ['in-use']);
  story.log(`  back to two copies after ${((Date.now() - killedAt) / 1000).toFixed(1)} s: ${healed.copies.map((copy) => `${copy.role} on ${copy.hostId}`).join(', ')}`);
  story.prove({
    chapter: 'host failure',
    proves: 'fail-over and a new mirror while the client writes, no client error',
    figures: `${role === 'primary' ? `promoted in ${(failedOver / 1000).toFixed(1)} s` : 'the primary kept serving'}; new mirror in ${((Date.now() - killedAt) / 1000).toFixed(1)} s; ${attached.writer.acked() - acked} writes after the kill; client errors ${attached.writer.errors().length}`,
    ok: attached.writer.errors().length === 0 && healed.copies.length === 2 && !healed.copies.some((copy) => copy.hostId === victim),
  });
  return victim;
}
