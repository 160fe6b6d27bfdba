import { COMMAND_ID_PATTERN, COPY_ID_PATTERN, newCommandId, newCopyId, newVolumeId, VOLUME_ID_PATTERN } from '../../../core/ids';

describe('ids', () => {
  test('when ids are generated, they match their documented patterns and do not repeat', () => {
    // Given
    const n = 200;
    // When
    const volumes = Array.from({ length: n }, newVolumeId);
    const copies = Array.from({ length: n }, newCopyId);
    const commands = Array.from({ length: n }, () => newCommandId(new Date()));
    // Then
    expect(volumes.every((id) => VOLUME_ID_PATTERN.test(id))).toBe(true);
    expect(copies.every((id) => COPY_ID_PATTERN.test(id))).toBe(true);
    expect(commands.every((id) => COMMAND_ID_PATTERN.test(id))).toBe(true);
    expect(new Set(volumes).size).toBe(n);
    expect(new Set(copies).size).toBe(n);
  });

  test('when commands are issued later, their ids sort after earlier ones', () => {
    // Given
    const times = [new Date('2025-01-01T00:00:00.000Z'), new Date('2025-01-01T00:00:00.001Z'), new Date('2031-06-01T00:00:00Z')];
    // When
    const ids = times.map(newCommandId);
    // Then
    expect([...ids].sort()).toEqual(ids);
  });
});
