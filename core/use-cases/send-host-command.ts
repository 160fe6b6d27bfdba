import { HostCommandStatus, type HostCommandType } from '../host-command';
import { newCommandId } from '../ids';
import type { HostCommandQueue } from '../ports';

export interface SendHostCommandInput {
  readonly hostId: string;
  readonly type: HostCommandType;
  readonly payload: Record<string, unknown>;
  readonly taskToken?: string;
  /** Default: a new time-ordered id. */
  readonly commandId?: string;
}

/** Queues a command for a host; a workflow that passes its task token waits for the result. */
export async function sendHostCommand(commands: HostCommandQueue, input: SendHostCommandInput, now: Date): Promise<string> {
  const commandId = input.commandId ?? newCommandId(now);
  await commands.enqueue({
    hostId: input.hostId,
    commandId,
    type: input.type,
    payload: input.payload,
    taskToken: input.taskToken,
    status: HostCommandStatus.pending,
    createdAt: now.toISOString(),
  });
  return commandId;
}
