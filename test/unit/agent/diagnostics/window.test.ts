import { InvalidWindowError, parseSince } from '../../../../agent/diagnostics/window';
import { lineTime, linesInWindow } from '../../../../agent/diagnostics/log-window';

const NOW = new Date('2026-12-01T12:00:00Z');

describe('parseSince', () => {
  it.each([
    ['24h', '2026-11-30T12:00:00.000Z'],
    ['30m', '2026-12-01T11:30:00.000Z'],
    ['7d', '2026-11-24T12:00:00.000Z'],
    ['2026-12-01T00:00:00Z', '2026-12-01T00:00:00.000Z'],
  ])('when since is %s, it starts the window at %s', (value, expected) => {
    expect(parseSince(value, NOW).toISOString()).toBe(expected);
  });

  it.each(['', '24', 'h', '0h', '-1h', '24x', '2026-12-01', '2026-12-02T00:00:00Z', '91d'])('when since is %j, it refuses it with the reason', (value) => {
    expect(() => parseSince(value, NOW)).toThrow(InvalidWindowError);
  });
});

describe('linesInWindow', () => {
  it('when lines carry ISO or syslog times, it keeps those at or after since and their continuation lines', () => {
    // Given
    const text = [
      '2026-11-29T10:00:00+00:00 old line',
      '  old continuation',
      'Dec  1 11:00:00 host kernel: recent',
      '  recent continuation',
      '2026-12-01T11:59:59.5Z newest',
    ].join('\n');
    // When
    const kept = linesInWindow(text, new Date('2026-12-01T00:00:00Z'), NOW);
    // Then
    expect(kept).toBe(['Dec  1 11:00:00 host kernel: recent', '  recent continuation', '2026-12-01T11:59:59.5Z newest'].join('\n'));
  });

  it('when the text starts mid-line (a tail read), it drops the first line', () => {
    expect(linesInWindow('tail of a line\n2026-12-01T11:00:00Z whole', new Date(0), NOW, true)).toBe('2026-12-01T11:00:00Z whole');
  });

  it('when a syslog date would be in the future this year, it is last year', () => {
    expect(lineTime('Dec 31 23:00:00 host x', new Date('2026-01-02T00:00:00')))?.toEqual(new Date(2025, 11, 31, 23, 0, 0));
  });
});
