import { z } from 'zod';
import { ModificationIdSchema } from '../../core/modification-requests';
import { failModification } from '../../core/use-cases/fail-modification';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostCommandQueue, hostRepository, modificationRepository, now, volumeRepository } from '../shared/composition';
import { taskHandler } from '../shared/task-handler';

const deps = { volumes: volumeRepository(), modifications: modificationRepository(), hosts: hostRepository(), commands: hostCommandQueue(), now };

const FailInputSchema = z.object({
  volumeId: VolumeIdSchema,
  modificationId: ModificationIdSchema,
  failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

/** A step's Error/Cause as a reason a customer can read (a Lambda error's Cause is JSON with errorMessage). */
function reasonOf(failure: z.infer<typeof FailInputSchema>['failure']): string {
  const error = failure?.Error ?? 'States.ALL';
  let cause = failure?.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed.errorMessage) cause = parsed.errorMessage;
  } catch {
    // a plain-text cause (a host's error message) is used as it is
  }
  return cause ? `${cause} (${error})` : error;
}

export const handler = taskHandler(FailInputSchema, (input) => failModification(deps, input.volumeId, input.modificationId, reasonOf(input.failure)));
