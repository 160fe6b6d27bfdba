import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAckedWrites } from './support/acked-writes';

/**
 * The fault harness's verifier catches what it must: a copy file that misses acknowledged writes
 * (zeroes, or an older stamp) is reported with the exact count, and writes that only failed or
 * were never answered are not counted. The log and the copy are made by hand with the writer's
 * own stamp function.
 */
const work = mkdtempSync(join(tmpdir(), 'bp-verifier-'));
const log = join(work, 'writer.log');
const copy = join(work, 'copy.raw');

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Writes a log of 100 acknowledged writes (blocks 0..99, seq 1..100, one per ms from t0) plus two failed and one unanswered, and a copy file holding `present` of them. */
function makeRun(present: string): void {
  const script = `
import sys
sys.path.insert(0, ${JSON.stringify(join(__dirname, 'support'))})
import acked_writes as w
t0 = 1000.0
present = ${present}
with open(${JSON.stringify(log)}, "w") as log, open(${JSON.stringify(copy)}, "wb") as copy:
    log.write(f"c {t0:.6f} 10.77.0.11:10800\\n")
    for seq in range(1, 101):
        block = seq - 1
        log.write(f"a {seq} {block} {t0 + seq / 1000:.6f}\\n")
        log.write(f"k {seq} {block} {t0 + seq / 1000:.6f}\\n")
    for seq in (101, 102):
        log.write(f"a {seq} {seq - 1} {t0 + 1:.6f}\\n")
        log.write(f"e {seq} {seq - 1} {t0 + 1:.6f} timed out\\n")
    log.write(f"a 103 102 {t0 + 1:.6f}\\n")
    for block in range(103):
        seq = block + 1
        copy.write(w.stamp(seq, block) if present(seq) else bytes(w.BLOCK))
`;
  execFileSync('/usr/bin/python3', ['-c', script]);
}

test('when a copy has every acknowledged write, the verifier reports none lost and ignores failed and unanswered writes', async () => {
  makeRun('lambda seq: seq <= 100');

  const result = await verifyAckedWrites({ file: copy }, log, { fault: 1_000_050 });

  expect(result).toMatchObject({ ackedWrites: 100, failedWrites: 2, sentWrites: 103, lostCount: 0, ackedAfter: { fault: 51 } });
});

test('when a copy misses acknowledged writes after the fault, the verifier counts each one and names the first', async () => {
  makeRun('lambda seq: seq < 60 or seq > 100');

  const result = await verifyAckedWrites({ file: copy }, log, { fault: 1_000_050 });

  expect(result).toMatchObject({ ackedWrites: 100, lostCount: 41, lostAfter: { fault: 41 } });
  expect(result.lost[0]).toMatchObject({ block: 59, acked: 60, found: null });
});
