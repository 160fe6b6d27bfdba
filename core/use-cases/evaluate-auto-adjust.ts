import type { PolicyVolumes } from '../modification-ports';
import { autoGrowTarget } from '../volume-policy';
import { VolumeStatus } from '../volume-status';
import { requestModification, type RequestModificationDeps } from './request-modification';

export interface EvaluateAutoAdjustDeps extends RequestModificationDeps {
  readonly policyVolumes: PolicyVolumes;
}

export interface AutoAdjustOutcome {
  readonly evaluated: number;
  readonly requested: readonly { readonly volumeId: string; readonly modificationId: string; readonly sizeGiB: number }[];
  readonly refused: readonly { readonly volumeId: string; readonly reason: string }[];
}

/**
 * The scheduled evaluation: for every volume with a policy that is available or in use (a volume
 * being modified waits for its modification), a fresh utilization at or over `autoGrow`'s threshold
 * requests a grow with trigger `auto-grow`, as a customer request would (same validation, planning
 * and admission control). A refusal for one volume is recorded and the others go on.
 */
export async function evaluateAutoAdjust(deps: EvaluateAutoAdjustDeps): Promise<AutoAdjustOutcome> {
  const volumes = await deps.policyVolumes.listWithPolicy();
  const requested: { volumeId: string; modificationId: string; sizeGiB: number }[] = [];
  const refused: { volumeId: string; reason: string }[] = [];
  for (const volume of volumes) {
    if (volume.status !== VolumeStatus.available && volume.status !== VolumeStatus.inUse) continue;
    const sizeGiB = autoGrowTarget(volume, volume.policy, volume.utilization, deps.now());
    if (sizeGiB === undefined) continue;
    try {
      const outcome = await requestModification(deps, volume.tenantId, volume.volumeId, { sizeGiB }, 'auto-grow');
      if (!outcome.dryRun) requested.push({ volumeId: volume.volumeId, modificationId: outcome.modification.modificationId, sizeGiB });
    } catch (error) {
      refused.push({ volumeId: volume.volumeId, reason: (error as Error).message });
    }
  }
  return { evaluated: volumes.length, requested, refused };
}
