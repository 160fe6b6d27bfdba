import { createHash } from 'node:crypto';
import { IdempotentParameterMismatchError, InvalidStateError, NotFoundError } from '../errors';
import { hostsAvoiding, isFinal, ModificationStatus, parametersOf, type Modification, type ModificationPlan, type ModificationTrigger, type VolumeParameters } from '../modification';
import { newModificationId } from '../modification-id';
import { planModification } from '../modification-plan';
import type { ModificationRepository, ModificationWorkflows } from '../modification-ports';
import type { ModifyVolumeRequest } from '../modification-requests';
import { stepsOf } from '../modification-steps';
import { resolveTarget } from '../modification-target';
import type { Host } from '../host';
import { newCopyId } from '../ids';
import type { HostRepository, VolumeRepository } from '../ports';
import type { Volume } from '../volume';
import { VolumeStatus } from '../volume-status';
import { transition } from '../volume-transition';
import { retryOnVersionConflict } from '../version-conflict-retry';

export interface RequestModificationDeps {
  readonly volumes: VolumeRepository;
  readonly modifications: ModificationRepository;
  readonly hosts: HostRepository;
  readonly workflows: ModificationWorkflows;
  readonly now: () => Date;
}

export type ModificationOutcome =
  | { readonly dryRun: true; readonly original: VolumeParameters; readonly target: VolumeParameters; readonly plan: ModificationPlan }
  | { readonly dryRun: false; readonly modification: Modification };

function fingerprintOf(request: ModifyVolumeRequest): string {
  const { sizeGiB, iops, type, location, allowShrink, awayFromHostIds } = request;
  return createHash('sha256').update(JSON.stringify({ sizeGiB, iops, type, location, allowShrink, awayFromHostIds })).digest('hex');
}

const requested = (request: ModifyVolumeRequest): Partial<VolumeParameters> =>
  Object.fromEntries(Object.entries({ sizeGiB: request.sizeGiB, iops: request.iops, type: request.type, location: request.location }).filter(([, v]) => v !== undefined));

/**
 * A customer's (or the auto-adjust evaluation's) request to change a volume's parameters:
 * - with no modification in flight, a new one is recorded (status `modifying`), the volume turns
 *   `modifying` and the workflow starts;
 * - while one is in flight before its cutover, the request is merged into its target and the
 *   workflow re-plans at its next step (coalescing, recorded on it);
 * - after that one's cutover, it is queued as the next (or merged into the queued one);
 * - `dryRun` answers the plan and changes nothing.
 * Bad requests (no-op, shrink, IOPS out of range, no host can hold a copy) are refused before
 * anything is written. A repeated clientToken answers the modification the first request became.
 */
export async function requestModification(
  deps: RequestModificationDeps,
  tenantId: string,
  volumeId: string,
  request: ModifyVolumeRequest,
  trigger: ModificationTrigger = 'user',
): Promise<ModificationOutcome> {
  const fingerprint = fingerprintOf(request);
  if (request.clientToken && !request.dryRun) {
    const seen = await deps.modifications.tokenOf(tenantId, volumeId, request.clientToken);
    if (seen) {
      if (seen.fingerprint !== fingerprint) {
        throw new IdempotentParameterMismatchError(`clientToken '${request.clientToken}' was already used for a modification with other parameters`, {
          clientToken: request.clientToken,
          modificationId: seen.modificationId,
        });
      }
      const first = await deps.modifications.get(volumeId, seen.modificationId);
      if (first) return { dryRun: false, modification: first };
    }
  }
  const outcome = await retryOnVersionConflict(() => decide(deps, tenantId, volumeId, request, trigger));
  if (outcome.dryRun) return outcome;
  if (request.clientToken) {
    await deps.modifications.rememberToken(tenantId, volumeId, request.clientToken, { modificationId: outcome.modification.modificationId, fingerprint });
  }
  return outcome;
}

async function decide(
  deps: RequestModificationDeps,
  tenantId: string,
  volumeId: string,
  request: ModifyVolumeRequest,
  trigger: ModificationTrigger,
): Promise<ModificationOutcome & { readonly started?: boolean }> {
  const volume = await deps.volumes.get(volumeId);
  if (!volume || volume.tenantId !== tenantId || volume.status === VolumeStatus.deleted) {
    throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
  }
  if (volume.status !== VolumeStatus.available && volume.status !== VolumeStatus.inUse && volume.status !== VolumeStatus.modifying) {
    throw new InvalidStateError(`a volume that is ${volume.status} cannot be modified; only an available, in-use or modifying volume can`, {
      status: volume.status,
    });
  }
  const at = deps.now();
  const active = volume.modificationId ? await deps.modifications.get(volumeId, volume.modificationId) : undefined;
  const queued = volume.queuedModificationId ? await deps.modifications.get(volumeId, volume.queuedModificationId) : undefined;
  // One that already ended but has not handed the volume on yet counts as past its cutover: the request queues.
  const queues = active !== undefined && (active.pastCutover || isFinal(active));
  const into = active && !queues ? active : queued;
  const abandoned = active?.status === ModificationStatus.failed || active?.status === ModificationStatus.cancelled;
  const base = into?.target ?? (abandoned ? undefined : active?.target) ?? parametersOf(volume);
  const target = resolveTarget(base, request);
  // Admission control against the copies and hosts as they are now; a queued request is checked when it starts.
  const hosts = queues ? [] : await deps.hosts.listInLocation(target.location);
  const plan = queues ? undefined : planModification(volume, target, hostsAvoiding(await withCurrentHosts(deps, volume, hosts), request.awayFromHostIds), newCopyId);
  if (request.dryRun) {
    if (plan) return { dryRun: true, original: base, target, plan };
    throw new InvalidStateError(`modification ${active?.modificationId} is past its cutover; a request now is queued behind it, and its plan is made when it starts`, {
      modificationId: active?.modificationId,
    });
  }
  const coalesced = { at: at.toISOString(), requested: requested(request) };
  if (into) {
    const merged: Modification = {
      ...into,
      target,
      ...(plan && into === active ? { plan, stepsTotal: stepsOf(plan).length, replanRequested: true } : {}),
      coalesced: [...into.coalesced, { ...coalesced, outcome: 'merged' }],
      updatedAt: at.toISOString(),
      version: into.version + 1,
    };
    await deps.modifications.save(merged);
    return { dryRun: false, modification: merged };
  }
  const modification: Modification = {
    modificationId: newModificationId(at),
    ...(request.awayFromHostIds ? { awayFromHostIds: request.awayFromHostIds } : {}),
    volumeId,
    tenantId,
    status: ModificationStatus.modifying,
    original: base,
    target,
    ...(plan ? { plan } : {}),
    trigger,
    stepsDone: 0,
    stepsTotal: plan ? stepsOf(plan).length : 0,
    reserved: false,
    pastCutover: false,
    cancelRequested: false,
    replanRequested: false,
    coalesced: queues ? [{ ...coalesced, outcome: 'queued' }] : [],
    ...(queues && active ? { queuedBehind: active.modificationId, statusReason: `queued behind ${active.modificationId}, which is past its cutover` } : {}),
    ...(request.clientToken ? { clientToken: request.clientToken } : {}),
    startedAt: at.toISOString(),
    updatedAt: at.toISOString(),
    version: 1,
  };
  await deps.modifications.create(modification);
  if (queues) {
    await deps.volumes.save({ ...volume, queuedModificationId: modification.modificationId, version: volume.version + 1, updatedAt: at.toISOString() });
    return { dryRun: false, modification };
  }
  try {
    await deps.volumes.save(transition(volume, { type: 'modification-started' }, at, { modificationId: modification.modificationId }));
  } catch (error) {
    await deps.modifications.save(end(modification, ModificationStatus.failed, 'another change of the volume came first; the request was not started', at));
    throw error;
  }
  await startWorkflow(deps, modification);
  return { dryRun: false, modification };
}

/** Hosts of the current copies outside the target location still count for whether a copy stays. */
async function withCurrentHosts(deps: RequestModificationDeps, volume: Volume, hosts: readonly Host[]) {
  const missing = volume.copies.filter((copy) => !hosts.some((host) => host.hostId === copy.hostId));
  const extra = await Promise.all(missing.map((copy) => deps.hosts.get(copy.hostId)));
  return [...hosts, ...extra.filter((host) => host !== undefined)];
}

export function end(modification: Modification, status: ModificationStatus, reason: string | undefined, at: Date): Modification {
  return {
    ...modification,
    status,
    ...(reason !== undefined ? { statusReason: reason } : {}),
    currentCommand: undefined,
    endedAt: at.toISOString(),
    updatedAt: at.toISOString(),
    version: modification.version + 1,
  };
}

async function startWorkflow(deps: RequestModificationDeps, modification: Modification): Promise<void> {
  try {
    await deps.workflows.startModification(modification.volumeId, modification.modificationId);
  } catch (error) {
    const reason = `the modification workflow could not be started: ${(error as Error).message}`.slice(0, 1024);
    await retryOnVersionConflict(async () => {
      const volume = await deps.volumes.get(modification.volumeId);
      if (volume?.modificationId !== modification.modificationId) return;
      await deps.volumes.save(
        transition(volume, { type: 'modification-ended', attachments: volume.attachments.length }, deps.now(), { modificationId: undefined }),
      );
    });
    await deps.modifications.save(end(modification, ModificationStatus.failed, reason, deps.now()));
    throw error;
  }
}
