import { DEFAULT_RECOVERY_POLICY, type RecoveryPolicy } from '../../../../core/recovery/recovery-policy';
import type { ScannedCopy } from '../../../../core/recovery/recovery-report';
import { SnapshotsUnavailable } from '../../../../core/recovery/snapshots-unavailable';
import { decideRecovery } from '../../../../core/recovery/use-cases/decide-recovery';
import { describeRecovery } from '../../../../core/recovery/use-cases/describe-recovery';
import { grantRecoveryAccess } from '../../../../core/recovery/use-cases/grant-recovery-access';
import { listVolumeEvents } from '../../../../core/recovery/use-cases/list-volume-events';
import { processRecoveryDeadlines } from '../../../../core/recovery/use-cases/process-recovery-deadlines';
import { recordRecoveryReport } from '../../../../core/recovery/use-cases/record-recovery-report';
import type { RecoveryDecisionDeps, RecoveryReportDeps } from '../../../../core/recovery/use-cases/recovery-deps';
import { beginFailover } from '../../../../core/use-cases/begin-failover';
import { pollCommands } from '../../../../core/use-cases/poll-commands';
import type { Volume, VolumeCopy } from '../../../../core/volume';
import { aHost, aVolume, HOST_PRINCIPAL, OTHER_TENANT, TENANT } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { FakeKeyVault } from '../../fakes/fake-key-vault';
import { InMemoryHostCommandQueue } from '../../fakes/in-memory-host-command-queue';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { InMemoryRecoveryBatch, InMemoryRecoveryRepository, InMemoryVolumeEventLog } from '../../fakes/in-memory-recovery-stores';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';
import { RecordingFailoverWorkflows } from '../../fakes/recording-failover-workflows';
import { RecordingVolumeWorkflows } from '../../fakes/recording-volume-workflows';

const P: VolumeCopy = { copyId: 'cpy-00000000000a', hostId: 'host-a', role: 'primary', inSync: true, inSyncGeneration: 4, nbd: { address: '10.0.0.1', port: 10809, exportName: 'vol' } };
const M: VolumeCopy = { copyId: 'cpy-00000000000b', hostId: 'host-b', role: 'mirror', inSync: true, inSyncGeneration: 4 };
const PRINCIPAL_B = 'arn:aws:sts::333333333333:assumed-role/blockplane-fleet/i-0bbbbbbbbbbbbbbb2';
const CHUNKS = ['00000000000000aa', '00000000000000bb'];

function scanned(volume: Volume, copy: VolumeCopy, overrides: Partial<ScannedCopy> = {}): ScannedCopy {
  return {
    volumeId: volume.volumeId,
    copyId: copy.copyId,
    role: copy.role === 'primary' ? 'primary' : 'mirror',
    generation: 4,
    lastInSyncGeneration: 4,
    sizeBytes: 2 * 1024 * 1024,
    health: { readable: true, metadataConsistent: true },
    digest: { algorithm: 'sha256-64', chunkBytes: 1024 * 1024, chunks: CHUNKS },
    ...overrides,
  };
}

function setUp(policy: Partial<RecoveryPolicy> = {}, volume: Partial<Volume> = {}) {
  const clock = new FakeClock('2026-12-02T03:00:00.000Z');
  const fullPolicy = { ...DEFAULT_RECOVERY_POLICY, quarantineSeconds: 60, autoArchiveSeconds: 600, ...policy };
  const hosts = new InMemoryHostRepository();
  // Both hosts crashed: the sweep marked them unreachable.
  hosts.put(aHost({ hostId: 'host-a', status: 'unreachable' }));
  hosts.put(aHost({ hostId: 'host-b', status: 'unreachable', principalArn: PRINCIPAL_B }));
  const volumes = new InMemoryVolumeRepository();
  const stored = volumes.put(aVolume({ status: 'degraded', generation: 4, copies: [P, M], ...volume }));
  const deps: RecoveryReportDeps & RecoveryDecisionDeps = {
    recoveries: new InMemoryRecoveryRepository(),
    events: new InMemoryVolumeEventLog(),
    volumes,
    hosts,
    commands: new InMemoryHostCommandQueue(),
    failovers: new RecordingFailoverWorkflows(),
    volumeWorkflows: new RecordingVolumeWorkflows(),
    snapshots: new SnapshotsUnavailable(),
    batch: new InMemoryRecoveryBatch(fullPolicy),
    policy: fullPolicy,
    now: clock.now,
  };
  return { deps, clock, stored, hosts, volumes, commands: deps.commands as InMemoryHostCommandQueue, failovers: deps.failovers as RecordingFailoverWorkflows };
}

interface DeliveryCase {
  readonly deps: RecoveryReportDeps & RecoveryDecisionDeps;
  readonly keys: FakeKeyVault;
  readonly clock: FakeClock;
  readonly volumeId: string;
}

const report = (copies: ScannedCopy[]) => ({ trigger: 'unclean-shutdown' as const, copies, final: true });

describe('recovery use cases', () => {
  test('when both hosts crashed and one returns, its copy is authoritative, the volume impaired with the reason and the owner has until the auto-archive', async () => {
    // Given
    const { deps, stored, volumes } = setUp();
    // When
    const answer = await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    // Then
    expect(answer.copies).toEqual([{ volumeId: stored.volumeId, copyId: P.copyId, verdict: 'authoritative', rule: 'sole-survivor', action: 'hold-read-only' }]);
    expect(await volumes.get(stored.volumeId)).toMatchObject({ status: 'impaired', statusReason: expect.stringContaining('read-only with client I/O paused') });
    const view = describeRecovery((await deps.recoveries.get(stored.volumeId))!);
    expect(view).toMatchObject({ state: 'awaiting-decision', ioPaused: true, autoArchiveAt: '2026-12-02T03:10:00.000Z', choices: ['enable', 'snapshot', 'archive', 'delete'] });
    expect(view.copies[0]).toMatchObject({ disposition: 'read-only', proof: { hostId: 'host-a', volume: { generation: 4 } } });
    expect((await listVolumeEvents(deps, TENANT, stored.volumeId)).map((e) => e.type)).toEqual(['volume-impaired', 'copy-classified']);
  });

  test('when the twin returns with identical data, the held copy is enabled automatically with the proof and handed to the fail-over workflow', async () => {
    // Given
    const { deps, stored, volumes, failovers, hosts } = setUp();
    await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    hosts.put(aHost({ hostId: 'host-a' }));
    // When
    const answer = await recordRecoveryReport(deps, PRINCIPAL_B, 'host-b', report([scanned(stored, M)]));
    // Then
    expect(answer.copies[0]).toMatchObject({ verdict: 'authoritative', rule: 'identical-twin' });
    const recovery = (await deps.recoveries.get(stored.volumeId))!;
    expect(recovery.state).toBe('enabled');
    expect(recovery.decisions).toEqual([expect.objectContaining({ action: 'enable', by: 'automatic', copyId: P.copyId, why: expect.stringContaining('chunk digests equal') })]);
    expect(recovery.copies.find((c) => c.copyId === M.copyId)?.classification.identicalTo).toEqual({ hostId: 'host-a', copyId: P.copyId });
    const volume = (await volumes.get(stored.volumeId))!;
    expect(volume).toMatchObject({ status: 'degraded', copies: [{ copyId: P.copyId, inSync: true, inSyncGeneration: 4 }, { copyId: M.copyId, inSync: false }] });
    expect(failovers.started).toEqual([expect.objectContaining({ volumeId: stored.volumeId, lostCopyId: P.copyId })]);
  });

  test('when the enabled copy goes through the fail-over, it is served as the primary at the next generation and the twin dropped', async () => {
    // Given
    const { deps, stored, volumes, hosts, commands } = setUp();
    await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    hosts.put(aHost({ hostId: 'host-a' }));
    await decideRecovery(deps, TENANT, stored.volumeId, { action: 'enable' });
    // When
    const plan = await beginFailover({ ...deps, keys: new FakeKeyVault(), now: deps.now }, stored.volumeId, P.copyId, 'recovered copy enabled');
    // Then
    expect(plan).toMatchObject({ action: 'promote', promote: { hostId: 'host-a', type: 'promote-copy', payload: { copyId: P.copyId, generation: 5 } } });
    expect(await volumes.get(stored.volumeId)).toMatchObject({ generation: 5, copies: [{ copyId: P.copyId, role: 'primary', inSyncGeneration: 5 }] });
    expect(commands.all().filter((c) => c.type === 'delete-copy').map((c) => c.payload.copyId)).toEqual([M.copyId]);
  });

  test('when the twin returns diverged, both copies are ambiguous, neither is served and enable must name a copy', async () => {
    // Given
    const { deps, stored, volumes } = setUp();
    await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    // When
    await recordRecoveryReport(deps, PRINCIPAL_B, 'host-b', report([scanned(stored, M, { digest: { algorithm: 'sha256-64', chunkBytes: 1024 * 1024, chunks: [CHUNKS[0] as string, '00000000000000cc'] } })]));
    // Then
    const recovery = (await deps.recoveries.get(stored.volumeId))!;
    expect(recovery.state).toBe('ambiguous');
    expect(recovery.copies.map((c) => [c.copyId, c.classification.rule]).sort()).toEqual([[P.copyId, 'diverged-twin'], [M.copyId, 'diverged-twin']]);
    expect(await volumes.get(stored.volumeId)).toMatchObject({ status: 'impaired', statusReason: expect.stringContaining('diverged') });
    await expect(decideRecovery(deps, TENANT, stored.volumeId, { action: 'enable' })).rejects.toMatchObject({ code: 'InvalidRecoveryState' });
    // When the owner names one
    const decided = await decideRecovery(deps, TENANT, stored.volumeId, { action: 'enable', copyId: M.copyId });
    // Then the other one is quarantined, due at once
    expect(decided.copies.find((c) => c.copyId === P.copyId)).toMatchObject({ disposition: 'quarantined', deleteAfter: '2026-12-02T03:00:00.000Z' });
  });

  test('when the old primary returns after its mirror was promoted, it is quarantined, never held readable, and deleted only after the period', async () => {
    // Given: the fail-over promoted M at generation 5 and dropped P
    const { deps, stored, clock, commands, hosts, failovers } = setUp({}, { status: 'in-use', generation: 5, copies: [{ ...M, role: 'primary', inSyncGeneration: 5 }] });
    hosts.put(aHost({ hostId: 'host-b', principalArn: PRINCIPAL_B }));
    // When
    const answer = await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    // Then
    expect(answer.copies[0]).toMatchObject({ verdict: 'non-authoritative', rule: 'live-copy-elsewhere', action: 'quarantine' });
    expect((await deps.recoveries.get(stored.volumeId))?.state).toBe('quarantined');
    expect(await deps.volumes.get(stored.volumeId)).toMatchObject({ status: 'in-use' });
    await expect(grantRecoveryAccess({ ...deps, keys: new FakeKeyVault() }, TENANT, stored.volumeId, P.copyId)).rejects.toMatchObject({ code: 'InvalidRecoveryState' });
    // When the period has not passed, nothing is deleted; when it has, the delete command goes out
    clock.advance(59_000);
    expect(await processRecoveryDeadlines(deps)).toMatchObject({ deletionsStarted: 0 });
    clock.advance(1_000);
    expect(await processRecoveryDeadlines(deps)).toMatchObject({ deletionsStarted: 1 });
    expect(commands.all().map((c) => [c.hostId, c.type, c.payload.copyId])).toEqual([['host-a', 'delete-copy', P.copyId]]);
    expect((await deps.recoveries.get(stored.volumeId))?.state).toBe('closed');
    expect(failovers.started).toEqual([]);
  });

  test('when only the primary\'s agent crashed and the record still counts on its copy, the copy is quarantined and the volume fails over off it to the live mirror', async () => {
    // Given: host-a's agent was killed and restarted; the volume went on (no fail-over), its mirror on host-b live and in sync
    const { deps, stored, failovers, hosts } = setUp({}, { status: 'in-use' });
    hosts.put(aHost({ hostId: 'host-b', principalArn: PRINCIPAL_B }));
    // When
    const answer = await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    // Then
    expect(answer.copies[0]).toMatchObject({ verdict: 'non-authoritative', rule: 'live-copy-elsewhere', action: 'quarantine' });
    expect(failovers.started).toEqual([{ volumeId: stored.volumeId, lostCopyId: P.copyId, reason: expect.stringContaining('unclean shutdown'), volumeVersion: stored.version }]);
    // and a report sent again (a retried page) starts no second fail-over
    await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    expect(failovers.started).toHaveLength(1);
  });

  test('when a dropped copy is quarantined but no live copy exists, its deletion is postponed (it may be the last copy)', async () => {
    // Given: the record promoted M, whose host is still down
    const { deps, stored, clock, commands } = setUp({}, { generation: 5, copies: [{ ...M, role: 'primary', inSyncGeneration: 5 }] });
    const answer = await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    expect(answer.copies[0]).toMatchObject({ rule: 'dropped-from-record', action: 'quarantine' });
    // When
    clock.advance(60_000);
    // Then
    expect(await processRecoveryDeadlines(deps)).toMatchObject({ deletionsStarted: 0, deletionsPostponed: 1 });
    expect(commands.all()).toEqual([]);
  });

  test('when the owner asks for a snapshot or an archive before snapshots exist, it is 409 SnapshotsUnavailable and nothing changes', async () => {
    // Given
    const { deps, stored, commands } = setUp();
    await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    const before = await deps.recoveries.get(stored.volumeId);
    // When / Then
    for (const action of ['snapshot', 'archive'] as const) {
      await expect(decideRecovery(deps, TENANT, stored.volumeId, { action })).rejects.toMatchObject({ code: 'SnapshotsUnavailable' });
    }
    expect(await deps.recoveries.get(stored.volumeId)).toEqual(before);
    expect(commands.all()).toEqual([]);
  });

  test('when the owner deletes, every returning copy gets a delete command and the volume is deleted', async () => {
    // Given
    const { deps, stored, commands, volumes } = setUp();
    await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    // When
    const decided = await decideRecovery(deps, TENANT, stored.volumeId, { action: 'delete' });
    // Then
    expect(decided.state).toBe('deleted');
    expect(commands.all().map((c) => [c.hostId, c.type])).toEqual([['host-a', 'delete-copy']]);
    expect(await volumes.get(stored.volumeId)).toMatchObject({ status: 'deleting' });
    expect((deps.volumeWorkflows as RecordingVolumeWorkflows).deletes).toHaveLength(1);
    await expect(decideRecovery(deps, TENANT, stored.volumeId, { action: 'enable' })).rejects.toMatchObject({ code: 'InvalidRecoveryState' });
  });

  test('when nobody decides by the auto-archive deadline, the archive is tried, refused while snapshots are unavailable, and the owner told once', async () => {
    // Given
    const { deps, stored, clock, volumes } = setUp({ autoArchiveSeconds: 30 });
    await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    // When
    clock.advance(30_000);
    const first = await processRecoveryDeadlines(deps);
    const second = await processRecoveryDeadlines(deps);
    // Then
    expect(first).toMatchObject({ archived: 0, archiveBlocked: 1 });
    expect(second).toMatchObject({ archiveBlocked: 0 });
    expect(await volumes.get(stored.volumeId)).toMatchObject({ status: 'impaired' });
    expect((await listVolumeEvents(deps, TENANT, stored.volumeId))[0]).toMatchObject({ type: 'auto-archive-blocked' });
  });

  test('when another tenant asks for the recovery, the access or the events, it is 404', async () => {
    // Given
    const { deps, stored } = setUp();
    await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    // When / Then
    await expect(decideRecovery(deps, OTHER_TENANT, stored.volumeId, { action: 'delete' })).rejects.toMatchObject({ code: 'NotFound' });
    await expect(grantRecoveryAccess({ ...deps, keys: new FakeKeyVault() }, OTHER_TENANT, stored.volumeId, undefined)).rejects.toMatchObject({ code: 'NotFound' });
    await expect(listVolumeEvents(deps, OTHER_TENANT, stored.volumeId)).rejects.toMatchObject({ code: 'NotFound' });
  });

  test('when the owner asks for access to a held copy, a key of its own expiring in 15 minutes is minted, stored sealed, and the host told without the key', async () => {
    // Given
    const { deps, stored, commands } = setUp();
    await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    // When
    const access = await grantRecoveryAccess({ ...deps, keys: new FakeKeyVault() }, TENANT, stored.volumeId, undefined);
    // Then
    expect(access).toMatchObject({ copyId: P.copyId, hostId: 'host-a', readOnly: true, exportName: `${stored.volumeId}.recovery`, port: 10809, expiresAt: '2026-12-02T03:15:00.000Z' });
    expect(access.key.keyHex).toMatch(/^[0-9a-f]{64}$/);
    const command = commands.all()[0];
    expect(command).toMatchObject({ type: 'open-recovery-access', payload: { copyId: P.copyId, expiresAt: access.expiresAt } });
    expect(JSON.stringify(command)).not.toContain(access.key.keyHex);
    expect((await deps.recoveries.get(stored.volumeId))?.access?.key.identity).toBe(access.key.identity);
  });

  test('when the host polls for open-recovery-access, the command carries the recovery key, opened at delivery only', async () => {
    // Given
    const { deps, stored, clock } = setUp();
    const keys = new FakeKeyVault();
    await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    const access = await grantRecoveryAccess({ ...deps, keys }, TENANT, stored.volumeId, undefined);
    // When
    const answer = await pollCommands({ ...deps, keys, sleep: clock.sleep }, HOST_PRINCIPAL, 'host-a', 0);
    // Then
    expect(answer.commands[0]).toMatchObject({ type: 'open-recovery-access', payload: { volumeId: stored.volumeId, copyId: P.copyId, expiresAt: access.expiresAt, recoveryKey: access.key } });
  });

  test.each([
    ['the access has expired', async (c: DeliveryCase) => c.clock.advance(15 * 60 * 1000)],
    ['a newer grant replaced it', async (c: DeliveryCase) => { c.clock.advance(1000); await grantRecoveryAccess({ ...c.deps, keys: c.keys }, TENANT, c.volumeId, undefined); }],
    ['the recovery was decided', async (c: DeliveryCase) => { await decideRecovery(c.deps, TENANT, c.volumeId, { action: 'delete' }); }],
  ])('when %s before the host polls, open-recovery-access carries no key', async (_why, change) => {
    // Given
    const { deps, stored, clock, commands } = setUp();
    const keys = new FakeKeyVault();
    await recordRecoveryReport(deps, HOST_PRINCIPAL, 'host-a', report([scanned(stored, P)]));
    await grantRecoveryAccess({ ...deps, keys }, TENANT, stored.volumeId, undefined);
    const first = commands.all()[0]!;
    await change({ deps, keys, clock, volumeId: stored.volumeId });
    // When
    const answer = await pollCommands({ ...deps, keys, sleep: clock.sleep }, HOST_PRINCIPAL, 'host-a', 0);
    // Then
    const delivered = answer.commands.find((command) => command.commandId === first.commandId);
    expect(delivered?.payload).not.toHaveProperty('recoveryKey');
  });

  test('when 50 hosts report at once with a batch of 5, never more than 5 are answered at a time, the others get 429 with Retry-After, and every copy is classified', async () => {
    // Given: 50 hosts × 4 copies, each host the only holder of its volumes
    const { deps, hosts, volumes } = setUp({ hostBatch: 5, retryAfterSeconds: 3 });
    const pending = new Map<string, ScannedCopy[]>();
    for (let h = 0; h < 50; h++) {
      const hostId = `host-m${h}`;
      const principal = `arn:aws:sts::333333333333:assumed-role/blockplane-fleet/i-mass${h}`;
      hosts.put(aHost({ hostId, principalArn: principal, status: 'unreachable' }));
      await hosts.bindPrincipal(principal, hostId);
      const copies: ScannedCopy[] = [];
      for (let c = 0; c < 4; c++) {
        const copy: VolumeCopy = { copyId: `cpy-${(h * 4 + c).toString(16).padStart(12, '0')}`, hostId, role: 'primary', inSync: true, inSyncGeneration: 2 };
        const volume = volumes.put(aVolume({ status: 'degraded', generation: 2, copies: [copy] }));
        copies.push(scanned(volume, copy, { generation: 2 }));
      }
      pending.set(hostId, copies);
    }
    // When: every host sends its first page (two pages of two); the first pages hold their places
    let refused = 0;
    let classified = 0;
    while (pending.size > 0) {
      for (const [hostId, copies] of [...pending]) {
        const page = copies.slice(0, 2);
        try {
          const answer = await recordRecoveryReport(deps, `arn:aws:sts::333333333333:assumed-role/blockplane-fleet/i-mass${hostId.slice(6)}`, hostId, { trigger: 'unclean-shutdown', copies: page, final: copies.length <= 2 });
          classified += answer.copies.length;
          if (copies.length <= 2) pending.delete(hostId);
          else pending.set(hostId, copies.slice(2));
        } catch (error) {
          expect(error).toMatchObject({ code: 'TooManyRequests', retryAfterSeconds: 3 });
          refused += 1;
        }
      }
    }
    // Then
    const batch = deps.batch as InMemoryRecoveryBatch;
    expect(batch.maxInFlight).toBe(5);
    expect(refused).toBeGreaterThan(0);
    expect(classified).toBe(200);
  });
});
