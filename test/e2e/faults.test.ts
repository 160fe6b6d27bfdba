import { appendFileSync } from 'node:fs';
import { deployment, identities, volumesAs } from './support/local-cloud';
import { describeRun, FaultFleet, type FaultClass, type FaultRunResult } from './support/fault-runs';

/**
 * The replication fault harness (issue 6): one test per fault class over a local fleet of three
 * storage hosts. Each run checks every acknowledged write on the new primary (over NBD) and on
 * the new mirror (its file), and counts reads that returned older data than an acknowledged
 * write. BLOCKPLANE_FAULT_RESULTS=<file> appends each run's figures as a JSON line.
 */
jest.setTimeout(300_000);

/** Black hole: detection (10 s by default) plus fencing, before client writes resume. */
const RESUME_BOUND_MS = Number(process.env.BLOCKPLANE_FAULT_RESUME_BOUND_MS ?? 15_000);
const WARMUP_ACKS = 2_000;

const fleet = new FaultFleet(volumesAs('a'), [identities.hosts.h1!, identities.hosts.h2!, identities.hosts.h3!], deployment.hostsTableName);

beforeAll(async () => {
  await fleet.start();
}, 120_000);

afterAll(async () => {
  await fleet.destroy();
}, 120_000);

async function runClass(faultClass: FaultClass, durationMs: number): Promise<FaultRunResult> {
  const result = await fleet.run({ faultClass, warmupAcks: WARMUP_ACKS, durationMs });
  console.log(describeRun(result));
  if (process.env.BLOCKPLANE_FAULT_RESULTS) appendFileSync(process.env.BLOCKPLANE_FAULT_RESULTS, `${JSON.stringify(result)}\n`);
  return result;
}

function expectNothingLost(result: FaultRunResult): void {
  expect({ served: result.served, notes: result.notes }).toEqual({ served: true, notes: [] });
  expect({ lostOnPrimary: result.lostOnPrimary, firstLost: result.firstLost.slice(0, 3) }).toEqual({ lostOnPrimary: 0, firstLost: [] });
  expect(result.backInSync).toBe(true);
  expect(result.lostOnMirror).toBe(0);
  expect({ staleReads: result.staleReads, firstStale: result.firstStale }).toEqual({ staleReads: 0, firstStale: [] });
  expect(result.ackedWrites).toBeGreaterThan(WARMUP_ACKS);
}

test('when the link to the mirror is reset and reconnects are refused, and the primary dies later, no acknowledged write is lost and no read is stale', async () => {
  expectNothingLost(await runClass('link-reset', 8_000));
});

test('when the link to the mirror is black-holed, client writes resume within the bound, the volume shows degraded with a reason, comes back in sync, and nothing is lost', async () => {
  const result = await runClass('link-blackhole', 20_000);
  expect(result.longestStallMs).toBeLessThanOrEqual(RESUME_BOUND_MS);
  expect(result.degradedReason).toMatch(/degraded: \S/);
  expectNothingLost(result);
});

test("when the primary's agent freezes while its daemons serve, no write is acknowledged by the old generation after the promotion", async () => {
  expectNothingLost(await runClass('primary-agent-frozen', 8_000));
});

test("when the mirror's storage daemon is killed, and the primary dies later, no acknowledged write is lost", async () => {
  expectNothingLost(await runClass('mirror-daemon-killed', 8_000));
});

test('when the primary host dies, no acknowledged write is lost', async () => {
  expectNothingLost(await runClass('primary-host-killed', 0));
});

test('when the mirror host dies and the primary host a few seconds later (before the replacement mirror is in sync), and both come back, the returning copy with every acknowledged write is held until the owner enables it, then served with nothing lost', async () => {
  expectNothingLost(await runClass('mirror-then-primary-killed', 4_000));
});

// The same fault with the owner's inspection: the primary's host returns alone, its copy is held
// read-only with I/O paused and read through the admin export before the owner enables it. The
// rebuild of the mirror after such an enable is not asserted: after a recovery-access grant the
// fail-over placed and deleted the new mirror repeatedly (BLOCK_JOB_CANCELLED) and was not in sync
// within the wait in 3 runs of 3 (docs/recovery.md, "Limits"); the class above asserts it without
// the grant.
test('when both hosts of a volume crash and the primary host comes back alone, its copy is authoritative, held read-only with I/O paused, and its admin export holds every acknowledged write; enabled, it serves with nothing lost', async () => {
  const result = await runClass('mirror-then-primary-killed-inspected', 4_000);
  expect(result.recovered).toMatchObject({
    verdict: 'authoritative',
    disposition: 'read-only',
    state: 'awaiting-decision',
    ioPaused: true,
    access: { status: 201, readOnly: true, exportName: expect.stringMatching(/\.recovery$/) },
    ackedWhileHeld: 0,
  });
  expect(result.recovered?.adminExport).toEqual({ ackedWrites: expect.any(Number), lostCount: 0, firstLost: [] });
  expect(result.recovered!.adminExport!.ackedWrites).toBeGreaterThan(WARMUP_ACKS);
  const notMirrored = /not back to two in-sync copies|has no data file/;
  expect({ served: result.served, notes: result.notes.filter((note) => !notMirrored.test(note)) }).toEqual({ served: true, notes: [] });
  expect({ lostOnPrimary: result.lostOnPrimary, firstLost: result.firstLost.slice(0, 3) }).toEqual({ lostOnPrimary: 0, firstLost: [] });
  expect({ staleReads: result.staleReads, firstStale: result.firstStale }).toEqual({ staleReads: 0, firstStale: [] });
}, 600_000);

test('when the control plane is unreachable for 20 s, it causes no fail-over, and when the primary dies later nothing is lost', async () => {
  const result = await runClass('control-plane-outage', 20_000);
  expect({ failOvers: result.unexpectedFailOvers, degraded: result.degradedReason }).toEqual({ failOvers: 0, degraded: undefined });
  expectNothingLost(result);
});

/** A mid-fill fault ends the modification: rolled back (still hdd) or, if it got past its cutover, completed (ssd). */
function expectModificationEnded(result: FaultRunResult): void {
  const ended = result.modification;
  expect(ended && { status: ended.status, type: ended.typeAtEnd }).toEqual(
    ended?.status === 'completed' ? { status: 'completed', type: 'ssd' } : { status: 'failed', type: 'hdd' },
  );
}

// Failed once in the full run of 2026-12-03 (one acknowledged write missing on the rebuilt mirror,
// acknowledged ~150 ms after its `start-replication`); the mirror start window explains it and is
// closed since 2026-12-04 (docs/replication-safety.md, "The mirror start window").
test("when the filling copy's daemon is killed while the mirror fills it (a type change), the modification ends, the volume comes back in sync, and when the primary dies later nothing is lost", async () => {
  const result = await runClass('filling-copy-daemon-killed', 4_000);
  expectModificationEnded(result);
  expectNothingLost(result);
});

test('when the mirror, the source of the fill, dies mid-fill, the primary goes on, the modification ends, a new mirror is built, and when the primary dies later nothing is lost', async () => {
  const result = await runClass('fill-source-killed', 4_000);
  expectModificationEnded(result);
  expectNothingLost(result);
});

test('when the primary host dies mid-fill, the mirror is promoted, the modification ends, and nothing is lost', async () => {
  const result = await runClass('primary-killed-mid-fill', 0);
  expectModificationEnded(result);
  expectNothingLost(result);
});

// The restarted agents stop the daemons their predecessors left running cleanly, so the copies
// resume as they were (docs/recovery.md, "Clean restart"), then the reveal kills the primary.
test('when both agents of a volume restart while a client writes, and the primary dies later, no acknowledged write is lost', async () => {
  expectNothingLost(await runClass('both-agents-restarted', 5_000));
});

test('when both agents of a volume stop cleanly and start again, the copies resume without a fail-over or a rebuild, and nothing is lost', async () => {
  const result = await runClass('both-agents-stopped-cleanly', 5_000);
  expect({ failOvers: result.unexpectedFailOvers, copiesReplaced: result.copiesReplaced }).toEqual({ failOvers: 0, copiesReplaced: 0 });
  expectNothingLost(result);
});
