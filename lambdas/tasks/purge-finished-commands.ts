import { z } from 'zod';
import { purgeFinishedCommands } from '../../core/use-cases/purge-finished-commands';
import { hostCommandQueue, now } from '../shared/composition';
import { taskHandler } from '../shared/task-handler';

const commands = hostCommandQueue();

/** Invoked by the EventBridge schedule (a scheduled event) or by hand with `{}`: the input carries nothing it needs. */
export const handler = taskHandler(z.unknown(), async () => purgeFinishedCommands(commands, now()));
