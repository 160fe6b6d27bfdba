import type { HostCommandQueue } from '../ports';
import { describeVolume, type Volume } from '../volume';
import { restoreProgressPercent } from '../volume-restore';
import { VolumeStatus } from '../volume-status';

/** The customer's view of one volume; a volume being restored from a snapshot shows how far its copies' fills are (volume-restore.ts). */
export async function describeVolumeNow(commands: Pick<HostCommandQueue, 'get'>, volume: Volume): Promise<ReturnType<typeof describeVolume>> {
  if (volume.status !== VolumeStatus.creating || !volume.restoreCommands) return describeVolume(volume);
  const fills = await Promise.all(volume.restoreCommands.map((command) => commands.get(command.hostId, command.commandId)));
  return describeVolume(volume, restoreProgressPercent(fills));
}
