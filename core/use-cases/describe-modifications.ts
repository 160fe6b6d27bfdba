import { NotFoundError } from '../errors';
import { describeModification, progressPercent, type Modification } from '../modification';
import type { ModificationRepository } from '../modification-ports';
import type { ListModificationsQuery } from '../modification-requests';
import { openPageToken, sealPageToken } from '../page-token';
import type { HostCommandQueue, PageTokenSecret, VolumeRepository } from '../ports';

export interface DescribeModificationsDeps {
  readonly volumes: VolumeRepository;
  readonly modifications: ModificationRepository;
  readonly commands: HostCommandQueue;
  readonly now: () => Date;
}

async function requireVolume(deps: Pick<DescribeModificationsDeps, 'volumes'>, tenantId: string, volumeId: string): Promise<void> {
  const volume = await deps.volumes.get(volumeId);
  if (!volume || volume.tenantId !== tenantId) throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
}

/**
 * A modification as the customer sees it: percent from whole steps plus the running command's
 * reported `current/total`, and an ETA from the running step's rate when it reported figures.
 */
export async function describeWithProgress(deps: Pick<DescribeModificationsDeps, 'commands' | 'now'>, modification: Modification) {
  const running = modification.currentCommand;
  const command = running ? await deps.commands.get(running.hostId, running.commandId) : undefined;
  const { current, total } = command?.progress ?? {};
  const fraction = current !== undefined && total ? current / total : undefined;
  let etaSeconds: number | undefined;
  if (running && fraction !== undefined && fraction > 0 && fraction < 1) {
    const elapsed = (deps.now().getTime() - Date.parse(running.sentAt)) / 1000;
    etaSeconds = Math.max(0, Math.round((elapsed * (1 - fraction)) / fraction));
  }
  return describeModification(modification, { percent: progressPercent(modification, fraction), etaSeconds });
}

export async function getModification(deps: DescribeModificationsDeps, tenantId: string, volumeId: string, modificationId: string) {
  await requireVolume(deps, tenantId, volumeId);
  const modification = await deps.modifications.get(volumeId, modificationId);
  if (!modification) throw new NotFoundError(`modification ${modificationId} of volume ${volumeId} does not exist`, { volumeId, modificationId });
  return describeWithProgress(deps, modification);
}

/** Newest first; `nextToken` continues the listing and works only for this tenant. */
export async function listModifications(
  deps: DescribeModificationsDeps & { readonly pageTokenSecret: PageTokenSecret },
  tenantId: string,
  volumeId: string,
  query: ListModificationsQuery,
) {
  await requireVolume(deps, tenantId, volumeId);
  const secret = await deps.pageTokenSecret();
  const scope = { tenantId, listing: `modifications of ${volumeId}` };
  const startKey = query.nextToken === undefined ? undefined : openPageToken(query.nextToken, scope, secret);
  const page = await deps.modifications.listByVolume(volumeId, { limit: query.limit, startKey });
  const modifications = await Promise.all(page.modifications.map((modification) => describeWithProgress(deps, modification)));
  return { modifications, ...(page.lastKey ? { nextToken: sealPageToken(page.lastKey, scope, secret) } : {}) };
}
