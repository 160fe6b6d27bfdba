import { ok, type VolumeView } from '../../../client/blockplane-api';
import { AckedWriter } from '../acked-writer';
import { cli, volumeReaching, type DemoContext } from '../demo-context';

export interface AttachedVolume {
  readonly volume: VolumeView;
  readonly attachmentId: string;
  readonly writer: AckedWriter;
  readonly bystanderVolumeId: string;
}

/** Creates the demo volume and a bystander tenant's, attaches the first through the bridge and starts the verifying writer. */
export async function attachAndWrite(demo: DemoContext): Promise<AttachedVolume> {
  const { story } = demo;
  story.chapter('1. Create, attach and write');
  const request = { sizeGiB: 1, type: 'ssd', iops: 3000, location: demo.location };
  story.log(`POST /volumes ${JSON.stringify(request)} as the demo tenant, and one volume of another tenant`);
  const created = ok<VolumeView>(await demo.tenant.create(request));
  const bystander = ok<VolumeView>(await demo.bystander.create(request));
  const started = Date.now();
  const volume = await volumeReaching(demo, demo.tenant, created.volumeId, ['available']);
  const available = Date.now() - started;
  await volumeReaching(demo, demo.bystander, bystander.volumeId, ['available']);
  for (const copy of volume.copies) story.log(`  ${volume.volumeId}: ${copy.role} on ${copy.hostId}`);
  const attached = JSON.parse(await cli(demo, 'attach', volume.volumeId, '--bridge-only')) as { attachmentId: string; bridge: { socket: string; exportName: string } };
  story.log(`blockplane attach --bridge-only: NBD on ${attached.bridge.socket} (the bridge follows the primary; TLS-PSK to the host)`);
  const writer = new AckedWriter(demo.work, attached.bridge.socket, attached.bridge.exportName);
  await story.until('the writer to get 300 acknowledgements', async () => (writer.acked() >= 300 ? true : undefined));
  story.prove({
    chapter: 'create + attach',
    proves: 'a replicated volume serves writes through the bridge',
    figures: `available in ${(available / 1000).toFixed(1)} s on ${volume.copies.length} hosts; ${writer.acked()} writes acknowledged`,
    ok: volume.copies.length === 2 && writer.errors().length === 0,
  });
  return { volume, attachmentId: attached.attachmentId, writer, bystanderVolumeId: bystander.volumeId };
}
