import { iopsProblem, IOPS_RANGE } from '../../../core/iops-range';

describe('iopsProblem', () => {
  test.each([
    ['ssd', 1, IOPS_RANGE.ssd.default],
    ['hdd', 1, IOPS_RANGE.hdd.default],
  ] as const)('when %s asks for its default on %d GiB, it allows it', (type, sizeGiB, iops) => {
    // When
    const result = iopsProblem(type, sizeGiB, iops);
    // Then
    expect(result).toBeUndefined();
  });

  test.each([
    ['ssd', 32, 16000, undefined],
    ['ssd', 31, 15500, undefined],
    ['ssd', 31, 15501, 'at most 500 per GiB (15500 for 31 GiB), got 15501'],
    ['ssd', 16384, 16001, 'between 3000 and 16000, got 16001'],
    ['hdd', 16384, 500, undefined],
    ['hdd', 16384, 501, 'between 100 and 500, got 501'],
  ] as const)('when %s on %d GiB asks for %d IOPS, it answers %p', (type, sizeGiB, iops, problem) => {
    // Given / When
    const answer = iopsProblem(type, sizeGiB, iops);
    // Then
    if (problem === undefined) expect(answer).toBeUndefined();
    else expect(answer).toContain(problem);
  });
});
