import { z } from 'zod';
import { HOST_TASK_STALLED } from './command-progress';

/** How Step Functions hands a caught error to the next state (`ResultPath` of a Catch). */
export const WorkflowFailureSchema = z.object({ Error: z.string().optional(), Cause: z.string().optional() });
export type WorkflowFailure = z.infer<typeof WorkflowFailureSchema>;

const MAX_REASON_LENGTH = 1024;

/**
 * Turns a caught workflow error into a sentence for a record's reason (a volume's, a
 * modification's, a report's): `<error>: <message>`, the message taken out of a Lambda error's
 * JSON cause, and a host that did not answer said in words. At most 1024 characters.
 */
export function reasonFrom(failure: WorkflowFailure | undefined): string {
  if (!failure) return 'unknown failure';
  const error = failure.Error ?? 'Error';
  let cause = failure.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') cause = parsed.errorMessage;
  } catch {
    // A cause that is not JSON is already the message.
  }
  if (error === 'States.Timeout' || error === 'States.HeartbeatTimeout') return `a storage host did not answer in time (${error})`;
  if (error === HOST_TASK_STALLED) return `a storage host did not answer in time (${error}: ${cause})`.slice(0, MAX_REASON_LENGTH);
  return cause ? `${error}: ${cause}`.slice(0, MAX_REASON_LENGTH) : error;
}
