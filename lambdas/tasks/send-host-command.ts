import { z } from 'zod';
import { HOST_COMMAND_TYPES } from '../../core/host-command';
import { HostIdSchema } from '../../core/host-requests';
import { COMMAND_ID_PATTERN } from '../../core/ids';
import { sendHostCommand } from '../../core/use-cases/send-host-command';
import { hostCommandQueue, now } from '../shared/composition';
import { taskHandler } from '../shared/task-handler';

const commands = hostCommandQueue();

const SendHostCommandInputSchema = z.object({
  taskToken: z.string().min(1).optional(),
  hostId: HostIdSchema,
  type: z.enum(HOST_COMMAND_TYPES),
  payload: z.record(z.string(), z.unknown()),
  /** Chosen by the caller when it records which command it waits for (the modification workflow). */
  commandId: z.string().regex(COMMAND_ID_PATTERN).optional(),
});

export const handler = taskHandler(SendHostCommandInputSchema, async (input) => ({
  commandId: await sendHostCommand(commands, input, now()),
}));
