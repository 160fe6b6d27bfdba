import { NotFoundError } from '../../errors';
import type { RecoveryRepository } from '../ports';
import { CopyDisposition, OPEN_RECOVERY_STATES, RecoveryState, type RecoveryAction, type VolumeRecovery } from '../volume-recovery';

/** The owner's choices in each state: what `POST /volumes/{id}/recovery-decision` accepts now. */
export function choicesOf(recovery: VolumeRecovery): readonly RecoveryAction[] {
  if (!OPEN_RECOVERY_STATES.includes(recovery.state)) return [];
  return ['enable', 'snapshot', 'archive', 'delete'];
}

/** What the owner sees: every returning copy with its verdict and proof, the deadlines and the choices. */
export function describeRecovery(recovery: VolumeRecovery) {
  return {
    volumeId: recovery.volumeId,
    state: recovery.state,
    ioPaused: recovery.state === RecoveryState.awaitingDecision || recovery.state === RecoveryState.ambiguous,
    autoArchiveAt: recovery.autoArchiveAt ?? null,
    choices: choicesOf(recovery),
    copies: recovery.copies.map((copy) => ({
      copyId: copy.copyId,
      hostId: copy.hostId,
      role: copy.role,
      generation: copy.generation,
      trigger: copy.trigger,
      reportedAt: copy.reportedAt,
      disposition: copy.disposition,
      readable: copy.disposition === CopyDisposition.readOnly,
      deleteAfter: copy.deleteAfter ?? null,
      classification: copy.classification,
      proof: copy.proof,
    })),
    decisions: recovery.decisions,
    accessExpiresAt: recovery.accessExpiresAt ?? null,
    createdAt: recovery.createdAt,
    updatedAt: recovery.updatedAt,
  };
}

/** The tenant's recovery of a volume; another tenant's, or none, is 404. */
export async function getRecovery(recoveries: RecoveryRepository, tenantId: string, volumeId: string): Promise<VolumeRecovery> {
  const recovery = await recoveries.get(volumeId);
  if (!recovery || recovery.tenantId !== tenantId) throw new NotFoundError(`volume ${volumeId} has no recovery`, { volumeId });
  return recovery;
}
