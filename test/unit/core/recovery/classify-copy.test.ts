import { classifyCopy, type ClassificationInput, type ClassificationRule, type RecordedCopy, type Verdict } from '../../../../core/recovery/classify-copy';
import type { ScannedCopy } from '../../../../core/recovery/recovery-report';

const VOLUME = 'vol-0000000000000000a';
const P = 'cpy-00000000000a';
const M = 'cpy-00000000000b';
const CHUNKS = ['00000000000000aa', '00000000000000bb'];

function scanned(copyId: string, overrides: Partial<ScannedCopy> = {}): ScannedCopy {
  return {
    volumeId: VOLUME,
    copyId,
    role: copyId === P ? 'primary' : 'mirror',
    generation: 4,
    lastInSyncGeneration: 4,
    sizeBytes: 2 * 1024 * 1024,
    health: { readable: true, metadataConsistent: true },
    digest: { algorithm: 'sha256-64', chunkBytes: 1024 * 1024, chunks: CHUNKS },
    ...overrides,
  };
}

function recorded(copyId: string, hostId: string, overrides: Partial<RecordedCopy> = {}): RecordedCopy {
  return { copyId, hostId, role: copyId === P ? 'primary' : 'mirror', inSync: true, inSyncGeneration: 4, heldInRecovery: false, ...overrides };
}

/** Host a returns with the primary P; host b holds the mirror M. */
function input(overrides: Partial<ClassificationInput> = {}): ClassificationInput {
  return {
    hostId: 'host-a',
    copy: scanned(P),
    volume: { status: 'degraded', generation: 4, copies: [recorded(P, 'host-a'), recorded(M, 'host-b')] },
    hosts: { 'host-a': { active: false, inRecovery: true }, 'host-b': { active: false, inRecovery: false } },
    twins: [],
    ...overrides,
  };
}

describe('classifyCopy', () => {
  const cases: [string, ClassificationInput, Verdict, ClassificationRule][] = [
    ['the volume no longer exists', input({ volume: undefined }), 'non-authoritative', 'volume-gone'],
    ['the volume is being deleted', input({ volume: { status: 'deleting', generation: 4, copies: [] } }), 'non-authoritative', 'volume-gone'],
    ['the mirror is live and in sync on an active host', input({ hosts: { 'host-a': { active: true, inRecovery: true }, 'host-b': { active: true, inRecovery: false } } }), 'non-authoritative', 'live-copy-elsewhere'],
    [
      'the old primary returns after the mirror was promoted at a higher generation',
      input({
        volume: { status: 'in-use', generation: 5, copies: [recorded(M, 'host-b', { role: 'primary', inSyncGeneration: 5 })] },
        hosts: { 'host-b': { active: true, inRecovery: false } },
      }),
      'non-authoritative',
      'live-copy-elsewhere',
    ],
    [
      'the mirror is in sync but its host is itself in recovery',
      input({ hosts: { 'host-a': { active: true, inRecovery: true }, 'host-b': { active: true, inRecovery: true } } }),
      'authoritative',
      'sole-survivor',
    ],
    [
      'the mirror is in sync on an active host but held by a recovery',
      input({
        volume: { status: 'impaired', generation: 4, copies: [recorded(P, 'host-a'), recorded(M, 'host-b', { heldInRecovery: true })] },
        hosts: { 'host-a': { active: true, inRecovery: true }, 'host-b': { active: true, inRecovery: false } },
      }),
      'authoritative',
      'sole-survivor',
    ],
    ['the mirror is live but its mark is from an older generation', input({ volume: { status: 'degraded', generation: 4, copies: [recorded(P, 'host-a'), recorded(M, 'host-b', { inSyncGeneration: 3 })] }, hosts: { 'host-a': { active: true, inRecovery: true }, 'host-b': { active: true, inRecovery: false } } }), 'authoritative', 'sole-survivor'],
    ['the mirror is live but was never in sync', input({ volume: { status: 'degraded', generation: 4, copies: [recorded(P, 'host-a'), recorded(M, 'host-b', { inSync: false })] }, hosts: { 'host-a': { active: true, inRecovery: true }, 'host-b': { active: true, inRecovery: false } } }), 'authoritative', 'sole-survivor'],
    ['a filling copy is live and in sync (never counts)', input({ volume: { status: 'degraded', generation: 4, copies: [recorded(P, 'host-a'), recorded(M, 'host-b', { role: 'filling' })] }, hosts: { 'host-a': { active: true, inRecovery: true }, 'host-b': { active: true, inRecovery: false } } }), 'authoritative', 'sole-survivor'],
    ['the record dropped the copy and no live copy exists', input({ volume: { status: 'degraded', generation: 5, copies: [recorded(M, 'host-b', { role: 'primary', inSyncGeneration: 5 })] } }), 'non-authoritative', 'dropped-from-record'],
    ['the data is not readable', input({ copy: scanned(P, { health: { readable: false, metadataConsistent: true }, digest: undefined }) }), 'non-authoritative', 'unhealthy'],
    ['the metadata is inconsistent', input({ copy: scanned(P, { health: { readable: true, metadataConsistent: false } }) }), 'non-authoritative', 'unhealthy'],
    ['the copy sent no digest', input({ copy: scanned(P, { digest: undefined }) }), 'non-authoritative', 'unhealthy'],
    ['the copy claims a generation the record does not know', input({ copy: scanned(P, { generation: 6 }) }), 'ambiguous', 'ahead-of-record'],
    ['the copy is behind the record (the primary continued alone at 5)', input({ hostId: 'host-b', copy: scanned(M, { generation: 4 }), volume: { status: 'degraded', generation: 5, copies: [recorded(P, 'host-a', { inSyncGeneration: 5 }), recorded(M, 'host-b', { inSync: false })] } }), 'non-authoritative', 'behind'],
    [
      'the record promoted the copy while its host was away (the record vouches for generation 5)',
      input({ hostId: 'host-b', copy: scanned(M, { generation: 4 }), volume: { status: 'degraded', generation: 5, copies: [recorded(M, 'host-b', { role: 'primary', inSyncGeneration: 5 })] } }),
      'authoritative',
      'sole-survivor',
    ],
    ['the twin returned behind', input({ volume: { status: 'degraded', generation: 4, copies: [recorded(P, 'host-a'), recorded(M, 'host-b', { inSync: false })] }, twins: [{ hostId: 'host-b', copy: scanned(M, { generation: 3 }) }] }), 'authoritative', 'sole-survivor'],
    ['the twin returned ahead (this copy is behind)', input({ volume: { status: 'degraded', generation: 5, copies: [recorded(P, 'host-a', { inSync: false }), recorded(M, 'host-b', { inSyncGeneration: 5 })] }, twins: [{ hostId: 'host-b', copy: scanned(M, { generation: 5 }) }] }), 'non-authoritative', 'behind'],
    ['the twin returned unreadable', input({ twins: [{ hostId: 'host-b', copy: scanned(M, { health: { readable: false, metadataConsistent: true }, digest: undefined }) }] }), 'authoritative', 'sole-survivor'],
    ['the twin returned with different data', input({ twins: [{ hostId: 'host-b', copy: scanned(M, { digest: { algorithm: 'sha256-64', chunkBytes: 1024 * 1024, chunks: [CHUNKS[0] as string, '00000000000000cc'] } }) }] }), 'ambiguous', 'diverged-twin'],
    ['the twin returned with another size', input({ twins: [{ hostId: 'host-b', copy: scanned(M, { sizeBytes: 4 * 1024 * 1024 }) }] }), 'ambiguous', 'diverged-twin'],
    ['the twin returned with identical data', input({ twins: [{ hostId: 'host-b', copy: scanned(M) }] }), 'authoritative', 'identical-twin'],
    ['a returning copy the record no longer lists is no twin', input({ volume: { status: 'degraded', generation: 4, copies: [recorded(P, 'host-a')] }, twins: [{ hostId: 'host-b', copy: scanned(M, { digest: { algorithm: 'sha256-64', chunkBytes: 1024 * 1024, chunks: ['00000000000000ff', '00000000000000ff'] } }) }] }), 'authoritative', 'sole-survivor'],
    ['nothing else is known', input(), 'authoritative', 'sole-survivor'],
  ];

  test.each(cases.map(([name, given, verdict, rule]) => [name, verdict, rule, given] as const))('when %s, it is %s by %s', (_name, verdict, rule, given) => {
    // When
    const classification = classifyCopy(given);
    // Then
    expect({ verdict: classification.verdict, rule: classification.rule }).toEqual({ verdict, rule });
  });

  test('when a twin diverged, it names the twin and the chunks that differ (the proof)', () => {
    // Given
    const twin = scanned(M, { digest: { algorithm: 'sha256-64', chunkBytes: 1024 * 1024, chunks: [CHUNKS[0] as string, '00000000000000cc'] } });
    // When
    const classification = classifyCopy(input({ twins: [{ hostId: 'host-b', copy: twin }] }));
    // Then
    expect(classification.divergedFrom).toEqual({ hostId: 'host-b', copyId: M, chunks: [1] });
  });

  test('when the volume is gone, it may be deleted at once; every other non-authoritative verdict waits out the quarantine', () => {
    expect(classifyCopy(input({ volume: undefined })).deleteAtOnce).toBe(true);
    for (const [, given, verdict] of cases) {
      if (verdict === 'non-authoritative' && given.volume?.status !== 'deleting' && given.volume) expect(classifyCopy(given).deleteAtOnce).toBe(false);
    }
  });

  /** Every combination of the documented inputs: the safety properties hold in each. */
  describe('over every combination of the inputs', () => {
    const generations = [3, 4, 5];
    const combos: ClassificationInput[] = [];
    for (const recordGeneration of [4, 5])
      for (const copyGeneration of generations)
        for (const listed of [true, false])
          for (const mirrorMark of [undefined, 3, 4, 5])
            for (const mirrorHost of [{ active: true, inRecovery: false }, { active: true, inRecovery: true }, { active: false, inRecovery: false }])
              for (const healthy of [true, false])
                for (const twin of ['none', 'identical', 'diverged', 'behind'] as const) {
                  const mirror = recorded(M, 'host-b', mirrorMark === undefined ? { inSync: false } : { inSyncGeneration: mirrorMark });
                  const twinCopy =
                    twin === 'none' ? [] : [{ hostId: 'host-b', copy: scanned(M, { generation: twin === 'behind' ? copyGeneration - 1 : copyGeneration, ...(twin === 'diverged' ? { sizeBytes: 4 * 1024 * 1024 } : {}) }) }];
                  combos.push(
                    input({
                      copy: scanned(P, { generation: copyGeneration, ...(healthy ? {} : { health: { readable: false, metadataConsistent: true }, digest: undefined }) }),
                      volume: { status: 'degraded', generation: recordGeneration, copies: [...(listed ? [recorded(P, 'host-a', { inSync: false })] : []), mirror] },
                      hosts: { 'host-a': { active: true, inRecovery: true }, 'host-b': mirrorHost },
                      twins: twinCopy,
                    }),
                  );
                }

    test(`(${combos.length} combinations) a copy is never authoritative while a live in-sync copy at the record's generation exists elsewhere`, () => {
      for (const given of combos) {
        const mirror = given.volume?.copies.find((c) => c.copyId === M);
        const host = given.hosts['host-b'];
        const live = mirror?.inSync && mirror.inSyncGeneration === given.volume?.generation && host?.active && !host.inRecovery;
        if (live && given.copy.generation <= (given.volume?.generation ?? 0)) expect(classifyCopy(given).verdict).not.toBe('authoritative');
      }
    });

    test('a copy is authoritative only when usable, listed by the record and at the highest generation known', () => {
      for (const given of combos) {
        const result = classifyCopy(given);
        if (result.verdict !== 'authoritative') continue;
        expect(given.copy.health.readable && given.copy.digest).toBeTruthy();
        expect(given.volume?.copies.some((c) => c.copyId === P)).toBe(true);
        expect(result.effectiveGeneration).toBe(result.highestKnownGeneration);
        expect(result.effectiveGeneration).toBeGreaterThanOrEqual(given.volume?.generation ?? 0);
      }
    });

    test('two usable returning copies at one generation with different data are never authoritative', () => {
      for (const given of combos) {
        const twin = given.twins[0];
        if (twin && twin.copy.sizeBytes !== given.copy.sizeBytes && twin.copy.generation === given.copy.generation) {
          expect(classifyCopy(given).verdict).not.toBe('authoritative');
        }
      }
    });

    test('the classifier is a function of its input: the stored input gives the stored verdict again', () => {
      for (const given of combos) expect(classifyCopy(JSON.parse(JSON.stringify(given)) as ClassificationInput)).toEqual(classifyCopy(given));
    });
  });
});
