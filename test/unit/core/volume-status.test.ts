import { InvalidStateError } from '../../../core/errors';
import {
  applyVolumeEvent,
  FINAL_VOLUME_STATUSES,
  SERVING_STATUSES,
  VolumeStatus,
  type StatusChange,
  type VolumeEvent,
} from '../../../core/volume-status';

/** One representative of each event kind (the ones that carry a count appear with 0 and with 2). */
const EVENTS = {
  'copies-created': { type: 'copies-created' },
  'creation-failed': { type: 'creation-failed', reason: 'host-a ran out of space' },
  'delete-requested': { type: 'delete-requested' },
  'copies-deleted': { type: 'copies-deleted' },
  'deletion-failed': { type: 'deletion-failed', reason: 'host-b did not answer' },
  attached: { type: 'attached' },
  'detached(0 left)': { type: 'detached', remainingAttachments: 0 },
  'detached(2 left)': { type: 'detached', remainingAttachments: 2 },
  'copy-lost': { type: 'copy-lost', reason: 'host-a stopped heartbeating' },
  'replica-rebuilt(0 attached)': { type: 'replica-rebuilt', attachments: 0 },
  'replica-rebuilt(2 attached)': { type: 'replica-rebuilt', attachments: 2 },
  'rebuild-failed': { type: 'rebuild-failed', reason: 'no host has room' },
  'modification-started': { type: 'modification-started' },
  'modification-ended(0 attached)': { type: 'modification-ended', attachments: 0 },
  'modification-ended(2 attached)': { type: 'modification-ended', attachments: 2 },
  'modification-stranded': { type: 'modification-stranded', reason: 'the quiesced primary did not serve again' },
  'recovery-impaired': { type: 'recovery-impaired', reason: 'host-a came back holding the only copy' },
  'recovery-enabled': { type: 'recovery-enabled', reason: 'the owner enabled it' },
} as const satisfies Record<string, VolumeEvent>;
type EventName = keyof typeof EVENTS;

const LEGAL: readonly [VolumeStatus, EventName, StatusChange][] = [
  ['creating', 'copies-created', { status: 'available' }],
  ['creating', 'creation-failed', { status: 'error', statusReason: 'host-a ran out of space' }],
  ['available', 'delete-requested', { status: 'deleting' }],
  ['error', 'delete-requested', { status: 'deleting' }],
  ['degraded', 'delete-requested', { status: 'deleting' }],
  ['deleting', 'copies-deleted', { status: 'deleted' }],
  ['deleting', 'deletion-failed', { status: 'error', statusReason: 'host-b did not answer' }],
  ['available', 'attached', { status: 'in-use' }],
  ['in-use', 'attached', { status: 'in-use' }],
  ['degraded', 'attached', { status: 'degraded' }],
  ['in-use', 'detached(0 left)', { status: 'available' }],
  ['in-use', 'detached(2 left)', { status: 'in-use' }],
  ['available', 'detached(0 left)', { status: 'available' }],
  ['available', 'detached(2 left)', { status: 'available' }],
  ['degraded', 'detached(0 left)', { status: 'degraded' }],
  ['degraded', 'detached(2 left)', { status: 'degraded' }],
  ['available', 'copy-lost', { status: 'degraded', statusReason: 'host-a stopped heartbeating' }],
  ['in-use', 'copy-lost', { status: 'degraded', statusReason: 'host-a stopped heartbeating' }],
  ['degraded', 'copy-lost', { status: 'degraded', statusReason: 'host-a stopped heartbeating' }],
  ['degraded', 'replica-rebuilt(0 attached)', { status: 'available' }],
  ['degraded', 'replica-rebuilt(2 attached)', { status: 'in-use' }],
  ['degraded', 'rebuild-failed', { status: 'degraded', statusReason: 'no host has room' }],
  ['available', 'modification-started', { status: 'modifying' }],
  ['in-use', 'modification-started', { status: 'modifying' }],
  ['modifying', 'attached', { status: 'modifying' }],
  ['modifying', 'detached(0 left)', { status: 'modifying' }],
  ['modifying', 'detached(2 left)', { status: 'modifying' }],
  ['modifying', 'copy-lost', { status: 'degraded', statusReason: 'host-a stopped heartbeating' }],
  ['modifying', 'modification-ended(0 attached)', { status: 'available' }],
  ['modifying', 'modification-ended(2 attached)', { status: 'in-use' }],
  ['degraded', 'modification-ended(0 attached)', { status: 'degraded' }],
  ['degraded', 'modification-ended(2 attached)', { status: 'degraded' }],
  ['modifying', 'modification-stranded', { status: 'error', statusReason: 'the quiesced primary did not serve again' }],
  ['degraded', 'modification-stranded', { status: 'degraded' }],
  ['impaired', 'delete-requested', { status: 'deleting' }],
  ['impaired', 'detached(0 left)', { status: 'impaired' }],
  ['impaired', 'detached(2 left)', { status: 'impaired' }],
  ...(['available', 'in-use', 'degraded', 'modifying', 'impaired', 'error'] as const).map(
    (from) => [from, 'recovery-impaired', { status: 'impaired', statusReason: 'host-a came back holding the only copy' }] as [VolumeStatus, EventName, StatusChange],
  ),
  ['impaired', 'recovery-enabled', { status: 'degraded', statusReason: 'the owner enabled it' }],
];

const ILLEGAL = Object.values(VolumeStatus).flatMap((status) =>
  (Object.keys(EVENTS) as EventName[])
    .filter((name) => !LEGAL.some(([from, legal]) => from === status && legal === name))
    .map((name) => [status, name] as const),
);

describe('applyVolumeEvent', () => {
  test.each(LEGAL)('when a %s volume takes %s, it moves to %o', (from, name, expected) => {
    // Given
    const event = EVENTS[name];
    // When
    const change = applyVolumeEvent(from, event);
    // Then
    expect(change).toEqual(expected);
  });

  test.each(ILLEGAL.filter(([from, name]) => !(['in-use', 'modifying'].includes(from) && name === 'delete-requested') && name !== 'modification-started'))(
    'when a %s volume takes %s, it throws InvalidStateError naming both',
    (from, name) => {
      // Given
      const event = EVENTS[name];
      // When
      const act = () => applyVolumeEvent(from, event);
      // Then
      expect(act).toThrow(InvalidStateError);
      expect(act).toThrow(`a volume that is ${from} cannot take '${event.type}'`);
      expect(() => applyVolumeEvent(from, event)).toThrow(expect.objectContaining({ details: { status: from, event: event.type } }));
    },
  );

  test('when an attached volume is asked to delete, it throws InvalidStateError telling to detach first', () => {
    // Given
    const event = EVENTS['delete-requested'];
    // When
    const act = () => applyVolumeEvent('in-use', event);
    // Then
    expect(act).toThrow(InvalidStateError);
    expect(act).toThrow('the volume is attached; detach every client before deleting it');
  });

  test('when a volume is modifying or cannot be modified, delete and modification-started are refused with the reason', () => {
    expect(() => applyVolumeEvent('modifying', EVENTS['delete-requested'])).toThrow(/a modification is in flight; cancel it/);
    for (const status of ['creating', 'degraded', 'modifying', 'deleting', 'deleted', 'error'] as const) {
      expect(() => applyVolumeEvent(status, EVENTS['modification-started'])).toThrow(`a volume that is ${status} cannot be modified`);
    }
  });

  test('when the volume is deleted, it is final: no event moves it', () => {
    // Given
    const finals = FINAL_VOLUME_STATUSES;
    // When
    const moves = finals.flatMap((status) =>
      Object.values(EVENTS).filter((event) => {
        try {
          applyVolumeEvent(status, event);
          return true;
        } catch (error) {
          return !(error instanceof InvalidStateError);
        }
      }),
    );
    // Then
    expect(finals).toEqual(['deleted']);
    expect(moves).toEqual([]);
  });

  test('when a volume has a serving primary, its status is available, in-use, degraded or modifying only', () => {
    // When
    const result = [...SERVING_STATUSES].sort();
    // Then
    expect(result).toEqual(['available', 'degraded', 'in-use', 'modifying']);
  });

  test('when an unknown event arrives at runtime, it throws instead of keeping the status', () => {
    // Given
    const bogus = { type: 'copies-exploded' } as unknown as VolumeEvent;
    // When
    const act = () => applyVolumeEvent('available', bogus);
    // Then
    expect(act).toThrow(/unhandled volume event/);
  });
});
