import type { z } from 'zod';
import { logger } from './logger';

/**
 * The one wrapper every workflow task uses: validates the state machine's payload and logs
 * the failure before it propagates (Step Functions sees it as a task failure).
 */
export function taskHandler<S extends z.ZodType, R>(schema: S, handle: (input: z.infer<S>) => Promise<R>) {
  return async (event: unknown): Promise<R> => {
    try {
      return await handle(schema.parse(event));
    } catch (error) {
      logger.error('workflow task failed', { error: error as Error });
      throw error;
    }
  };
}
