import { z } from 'zod';
import { taskHandler } from '../../../../lambdas/shared/task-handler';
import { logger } from '../../../../lambdas/shared/logger';

describe('taskHandler', () => {
  let logged: jest.SpyInstance;
  beforeEach(() => {
    logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const schema = z.object({ volumeId: z.string().startsWith('vol-') });

  test("when the workflow's payload is valid, it hands the parsed input to the task and returns its result", async () => {
    // Given
    const handler = taskHandler(schema, async ({ volumeId }) => ({ seen: volumeId }));
    // When
    const result = await handler({ volumeId: 'vol-1' });
    // Then
    expect(result).toEqual({ seen: 'vol-1' });
  });

  test('when the payload is invalid, it fails the task without running it and logs why', async () => {
    // Given
    const task = jest.fn();
    const handler = taskHandler(schema, task);
    // When
    const act = handler({ volumeId: 'oops' });
    // Then
    await expect(act).rejects.toThrow(z.ZodError);
    expect(task).not.toHaveBeenCalled();
    expect(logged).toHaveBeenCalledWith('workflow task failed', expect.anything());
  });

  test('when the task throws, it rethrows the same error so Step Functions sees its name', async () => {
    // Given
    class InsufficientCapacityError extends Error {}
    const error = new InsufficientCapacityError('full');
    const handler = taskHandler(schema, async () => {
      throw error;
    });
    // When
    const act = handler({ volumeId: 'vol-1' });
    // Then
    await expect(act).rejects.toBe(error);
  });
});
