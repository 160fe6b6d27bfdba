import { InvalidStateError, VersionConflictError } from '../../../core/errors';
import { VERSION_CONFLICT_RETRY, retryOnVersionConflict } from '../../../core/version-conflict-retry';

describe('retryOnVersionConflict', () => {
  test('when the work loses a version race twice, it is redone and the third result returned, after 50 and 100 ms', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await retryOnVersionConflict(
      async () => {
        calls += 1;
        if (calls < 3) throw new VersionConflictError('changed');
        return 'done';
      },
      async (ms) => waits.push(ms),
    );
    expect(result).toBe('done');
    expect(waits).toEqual([50, 100]);
  });

  test('when every attempt conflicts, it gives up after the named maximum with the conflict', async () => {
    const waits: number[] = [];
    const act = retryOnVersionConflict(async () => {
      throw new VersionConflictError('changed');
    }, async (ms) => waits.push(ms));
    await expect(act).rejects.toThrow(VersionConflictError);
    expect(waits).toEqual([50, 100, 200, 400]);
    expect(waits).toHaveLength(VERSION_CONFLICT_RETRY.maxAttempts - 1);
  });

  test('when the work fails otherwise, it is not retried', async () => {
    let calls = 0;
    await expect(retryOnVersionConflict(async () => {
      calls += 1;
      throw new InvalidStateError('no');
    }, async () => undefined)).rejects.toThrow(InvalidStateError);
    expect(calls).toBe(1);
  });
});
