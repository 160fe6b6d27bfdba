/**
 * Recovery of a host with many copies after an unclean restart (docs/recovery.md), measured:
 *
 * 1. **scan**: the agent's recovery scan (agent/recovery/recovery-scan.ts: metadata, size and the
 *    per-chunk digest of every data file) over `--volumes` copy files of `--mib` MiB each (one MiB
 *    in four written, the rest sparse), against `sha256sum` over the same files (the baseline: one
 *    public tool reading the same bytes), in the same run;
 * 2. **report → every copy classified**: the scanned copies reported in pages through the deployed
 *    API on the local cloud (`POST /hosts/{id}/recovery-reports`), the host the only holder of each
 *    volume, until every copy is answered authoritative and held read-only, against the time of the
 *    same number of `GET /volumes/{id}` calls (the baseline: the API's own round trips; answered 404).
 *
 *   npx tsx bench/recovery/report-100.ts [--volumes 100] [--mib 16]   (a deployed local cloud: eval "$(bash local/cloud.sh env)")
 *
 * The second figure ends when every copy is classified authoritative; the admin export's own
 * figure is bench/recovery/admin-export.ts.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDbVolumeRepository } from '../../adapters/dynamodb-volume-repository';
import { HostApi, ok } from '../../client/blockplane-api';
import { loadDeployment } from '../../client/deployment';
import { SignedHttp } from '../../client/signed-http';
import { newCopyId, newVolumeId } from '../../core/ids';
import { MAX_COPIES_PER_REPORT } from '../../core/recovery/recovery-report';
import { scanCopies, type FoundCopy } from '../../agent/recovery/recovery-scan';
import { createLocalIdentities } from '../../local/identities';

const { values } = parseArgs({ options: { volumes: { type: 'string', default: '100' }, mib: { type: 'string', default: '16' } } });
const VOLUMES = Number(values.volumes);
const MIB = Number(values.mib);
const MiB = 1024 * 1024;
const seconds = (ms: number) => (ms / 1000).toFixed(2);

async function makeCopies(dir: string): Promise<FoundCopy[]> {
  const found: FoundCopy[] = [];
  const block = Buffer.alloc(MiB, 0x5a);
  for (let n = 0; n < VOLUMES; n++) {
    const volumeId = newVolumeId();
    const copyId = newCopyId();
    const copyDir = path.join(dir, copyId);
    await fs.mkdir(copyDir, { recursive: true });
    const dataPath = path.join(copyDir, 'data.raw');
    const file = await fs.open(dataPath, 'w');
    await file.truncate(MIB * MiB);
    for (let offset = 0; offset < MIB; offset += 4) await file.write(block, 0, MiB, offset * MiB);
    await file.close();
    const now = new Date().toISOString();
    await fs.writeFile(path.join(copyDir, 'copy.json'), JSON.stringify({
      schemaVersion: 1, volumeId, copyId, role: 'primary', generation: 1, sizeBytes: MIB * MiB, iops: 0,
      nodeNames: { file: 'f', format: 'fmt', root: 'r', mirrorFilter: 'm', peer: 'p', throttleGroup: 't', export: 'e', mirrorJob: 'j', resyncJob: 'rj', serverTls: 's', clientTls: 'c' },
      createdAt: now, updatedAt: now,
    }));
    found.push({ volumeId, copyId, dataPath });
  }
  return found;
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-recovery-'));
  try {
    process.stdout.write(`making ${VOLUMES} copies of ${MIB} MiB in ${dir}\n`);
    const found = await makeCopies(dir);
    execFileSync('sync');
    const t0 = Date.now();
    execFileSync('sha256sum', found.map((f) => f.dataPath), { maxBuffer: 64 * MiB });
    const baselineMs = Date.now() - t0;
    const t1 = Date.now();
    const scanned = await scanCopies(found);
    const scanMs = Date.now() - t1;
    process.stdout.write(`scan: ${seconds(scanMs)} s for ${VOLUMES} copies; sha256sum of the same files ${seconds(baselineMs)} s; ratio ${(scanMs / baselineMs).toFixed(2)}\n`);

    const deployment = loadDeployment();
    const name = `bench-rec-${randomUUID().slice(0, 6)}`;
    const identity = (await createLocalIdentities([], [name])).hosts[name]!;
    const tenant = (await createLocalIdentities([name], [])).tenants[name]!;
    const http = (who: typeof identity) => new SignedHttp({ baseUrl: deployment.baseUrl, region: deployment.region, credentials: { accessKeyId: who.accessKeyId, secretAccessKey: who.secretAccessKey }, throttleRetries: 5 });
    const host = new HostApi(http(identity));
    const hostId = `${name}-h`;
    ok(await host.register({ hostId, location: name, address: '10.77.0.250', agentVersion: '0.1.0', disks: [{ deviceId: `${hostId}-d0`, type: 'ssd', capacityGiB: 100, iopsCapacity: 20_000 }] }));
    // The record as the crash left it: each volume's only copy, in sync, on this host (written directly: the bench measures recovery, not creation).
    const volumes = new DynamoDbVolumeRepository(deployment.volumesTableName);
    const at = new Date().toISOString();
    // Any owner will do: the customer GETs of the baseline are then answered 404, a full API round trip each.
    const tenantId = `bench-${name}`;
    for (const copy of scanned) {
      await volumes.create({
        volumeId: copy.volumeId, tenantId, sizeGiB: 1, type: 'ssd', iops: 3000, location: name, status: 'degraded', statusReason: 'bench',
        copies: [{ copyId: copy.copyId, hostId, role: 'primary', inSync: true, inSyncGeneration: 1 }], generation: 1, attachments: [], version: 1, createdAt: at, updatedAt: at,
      }, 'bench');
    }
    const t2 = Date.now();
    let authoritative = 0;
    for (let start = 0; start < scanned.length; start += MAX_COPIES_PER_REPORT) {
      const page = scanned.slice(start, start + MAX_COPIES_PER_REPORT);
      const answer = ok<{ copies: { verdict: string; action: string }[] }>(
        await host.http.request('POST', `/hosts/${hostId}/recovery-reports`, { trigger: 'unclean-shutdown', copies: page, final: start + MAX_COPIES_PER_REPORT >= scanned.length }),
      );
      authoritative += answer.copies.filter((c) => c.verdict === 'authoritative' && c.action === 'hold-read-only').length;
    }
    const reportMs = Date.now() - t2;
    const customer = http(tenant);
    const t3 = Date.now();
    for (const copy of scanned) await customer.request('GET', `/volumes/${copy.volumeId}`);
    const getsMs = Date.now() - t3;
    process.stdout.write(
      `report: ${authoritative}/${VOLUMES} authoritative and held read-only ${seconds(reportMs)} s after the report began (goal < 10 s); ` +
        `${VOLUMES} GET /volumes/{id} took ${seconds(getsMs)} s; ratio ${(reportMs / getsMs).toFixed(2)}\n`,
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

void main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
