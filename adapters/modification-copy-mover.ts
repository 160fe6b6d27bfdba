import type { CopyMover } from '../core/health/ports';
import { requestModification, type RequestModificationDeps } from '../core/use-cases/request-modification';

/** The health remediation's move: a modification of the volume with `awayFromHostIds` (POST /volumes/{id}/modifications), triggered by `health`. */
export class ModificationCopyMover implements CopyMover {
  constructor(private readonly deps: RequestModificationDeps) {}

  async moveOff(tenantId: string, volumeId: string, hostIds: readonly string[]): Promise<string> {
    const outcome = await requestModification(this.deps, tenantId, volumeId, { awayFromHostIds: [...hostIds] }, 'health');
    if (outcome.dryRun) throw new Error('a move is never a dry run');
    return outcome.modification.modificationId;
  }
}
