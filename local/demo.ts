import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ok, VolumeApi, type AttachmentView, type VolumeView } from '../client/blockplane-api';
import { loadDeployment } from '../client/deployment';
import { SignedHttp } from '../client/signed-http';
import { createLocalIdentities, type Identity } from './identities';
import { createLocalHost, destroyLocalHost, killHost, startAgent, waitForRegistration, type LocalHost } from './local-fleet';
import { removeStorageBridge } from './storage-network';

/**
 * The main job on the local cloud: three storage hosts (network namespaces, loop-device
 * disks, real agents and qemu-storage-daemons), a replicated volume created through the API,
 * attached and written with a real NBD client, both copies compared, the volume grown and
 * moved from ssd to hdd while attached (both copies migrate through the chain), the primary
 * host killed, fail-over, and the data read back intact.
 */
const LOCATION = 'demo';
const DATA_MIB = 64;
const WAIT_MS = 180_000;

interface Modification {
  readonly modificationId: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly plan?: { readonly kind: string; readonly moves?: readonly { readonly role: string; readonly fromHostId: string; readonly toHostId: string }[] };
}

function log(message: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 23)}] ${message}\n`);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}


function sha256OfFile(file: string, bytes: number): string {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  const buffer = Buffer.alloc(1024 * 1024);
  for (let done = 0; done < bytes; ) {
    const n = readSync(fd, buffer, 0, Math.min(buffer.length, bytes - done), done);
    if (n === 0) break;
    hash.update(buffer.subarray(0, n));
    done += n;
  }
  closeSync(fd);
  return hash.digest('hex');
}

function nbdUri(c: AttachmentView, pskFile: string): string {
  return `nbds://${c.tls.identity}@${c.nbd.address}:${c.nbd.port}/${c.nbd.exportName}?tls-psk-file=${pskFile}`;
}

function copyFile(host: LocalHost, copyId: string): string {
  return execFileSync('find', [host.dataDir, '-path', `*/${copyId}/data.raw`], { encoding: 'utf8' }).trim();
}

async function main(): Promise<void> {
  const deployment = loadDeployment();
  const identities = await createLocalIdentities(['demo'], ['d1', 'd2', 'd3']);
  const http = (identity: Identity) =>
    new SignedHttp({ baseUrl: deployment.baseUrl, region: deployment.region, credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey } });
  const volumes = new VolumeApi(http(identities.tenants.demo));
  const work = mkdtempSync(join(tmpdir(), 'blockplane-demo-'));
  const hosts: LocalHost[] = [];
  log(`API at ${deployment.baseUrl}`);
  try {
    for (const index of [1, 2, 3]) {
      const host = await createLocalHost(index, LOCATION);
      hosts.push(host);
      startAgent(host, identities.hosts[`d${index}`]);
      await waitForRegistration(host, deployment.hostsTableName);
      log(`host ${host.hostId} registered: namespace ${host.network.netns}, address ${host.network.address}, disks ${host.loopDevices.map((d) => `${d.device} (${d.type})`).join(', ')}, agent pid ${host.agent?.pid}`);
    }

    const request = { sizeGiB: 1, type: 'ssd', iops: 3000, location: LOCATION };
    log(`POST /volumes ${JSON.stringify(request)}`);
    const created = ok<VolumeView>(await volumes.create(request));
    const volume = await until('the volume to be available', async () => {
      const v = ok<VolumeView>(await volumes.get(created.volumeId));
      if (v.status === 'error') throw new Error(`volume failed: ${v.statusReason}`);
      return v.status === 'available' ? v : undefined;
    });
    for (const copy of volume.copies) log(`  ${volume.volumeId}: ${copy.role} copy ${copy.copyId} on ${copy.hostId}`);

    const attached = ok<AttachmentView>(await volumes.http.request('POST', `/volumes/${volume.volumeId}/attachments`));
    const pskFile = join(work, 'client.psk');
    writeFileSync(pskFile, `${attached.tls.identity}:${attached.tls.keyHex}\n`);
    chmodSync(pskFile, 0o600);
    log(`attached: nbds://${attached.nbd.address}:${attached.nbd.port}/${attached.nbd.exportName} (TLS-PSK identity ${attached.tls.identity})`);

    const source = join(work, 'data.bin');
    writeFileSync(source, randomBytes(DATA_MIB * 1024 * 1024));
    log(`writing ${DATA_MIB} MiB of random data with nbdcopy`);
    execFileSync('nbdcopy', ['--progress', source, nbdUri(attached, pskFile)], { stdio: ['ignore', 'inherit', 'inherit'] });
    const want = sha256OfFile(source, DATA_MIB * 1024 * 1024);
    const byHost = (hostId: string) => hosts.find((h) => h.hostId === hostId)!;
    for (const copy of volume.copies) {
      log(`  ${copy.role} copy on ${copy.hostId}: sha256 ${sha256OfFile(copyFile(byHost(copy.hostId), copy.copyId), DATA_MIB * 1024 * 1024)}`);
    }
    log(`  data written:             sha256 ${want}`);

    const change = { sizeGiB: 2, type: 'hdd' };
    log(`POST /volumes/${volume.volumeId}/modifications ${JSON.stringify(change)} (the volume stays attached)`);
    const requested = ok<Modification>(await volumes.http.request('POST', `/volumes/${volume.volumeId}/modifications`, change));
    log(`  plan: ${requested.plan?.kind ?? '?'}${requested.plan?.moves ? ` (${requested.plan.moves.map((m) => `${m.role} ${m.fromHostId} → ${m.toHostId}`).join(', ')})` : ''}`);
    const modified = await until('the modification to complete', async () => {
      const m = ok<Modification>(await volumes.http.request('GET', `/volumes/${volume.volumeId}/modifications/${requested.modificationId}`));
      if (m.status === 'failed' || m.status === 'cancelled') throw new Error(`modification ${m.status}: ${m.statusReason ?? ''}`);
      return m.status === 'completed' ? m : undefined;
    });
    const changed = ok<VolumeView>(await volumes.get(volume.volumeId));
    log(`modification ${modified.modificationId} completed: ${changed.sizeGiB} GiB ${changed.type}, generation ${changed.generation}`);
    for (const copy of changed.copies) {
      log(`  ${copy.role} copy ${copy.copyId} on ${copy.hostId}: sha256 ${sha256OfFile(copyFile(byHost(copy.hostId), copy.copyId), DATA_MIB * 1024 * 1024)}`);
    }
    const current = ok<AttachmentView>(await volumes.http.request('GET', `/volumes/${volume.volumeId}/attachments/${attached.attachmentId}`));

    const primary = byHost(current.hostId);
    log(`killing host ${primary.hostId}: SIGKILL to its agent and storage daemons (pids ${killHost(primary).join(', ')})`);
    const moved = await until('the attachment to name a new primary', async () => {
      const answer = await volumes.http.request('GET', `/volumes/${volume.volumeId}/attachments/${attached.attachmentId}`);
      if (answer.status === 409) return undefined; // the promotion is still under way
      const c = ok<AttachmentView>(answer);
      return c.hostId !== current.hostId ? c : undefined;
    });
    const degraded = ok<VolumeView>(await volumes.get(volume.volumeId));
    log(`fail-over: primary is now ${moved.hostId} at generation ${moved.generation}; volume ${degraded.status}: ${degraded.statusReason ?? ''}`);
    // A promotion gives every attachment a fresh key (docs/security.md); the old one no longer opens the volume.
    writeFileSync(pskFile, `${moved.tls.identity}:${moved.tls.keyHex}\n`);
    log(`fresh client key after the fail-over: TLS-PSK identity ${moved.tls.identity}`);

    const readBack = join(work, 'read-back.bin');
    execFileSync('nbdcopy', ['--progress', nbdUri(moved, pskFile), readBack], { stdio: ['ignore', 'inherit', 'inherit'] });
    const got = sha256OfFile(readBack, DATA_MIB * 1024 * 1024);
    log(`read back from the new primary: sha256 ${got} ${got === want ? '(intact)' : '(DIFFERENT!)'}`);
    if (got !== want) throw new Error('the data read back differs from the data written');

    const healthy = await until('a new mirror', async () => {
      const v = ok<VolumeView>(await volumes.get(volume.volumeId));
      return v.status === 'in-use' ? v : undefined;
    });
    for (const copy of healthy.copies) {
      log(`  ${copy.role} copy ${copy.copyId} on ${copy.hostId}: sha256 ${sha256OfFile(copyFile(byHost(copy.hostId), copy.copyId), DATA_MIB * 1024 * 1024)}`);
    }
    ok(await volumes.http.request('DELETE', `/volumes/${volume.volumeId}/attachments/${attached.attachmentId}`));
    ok(await volumes.delete(volume.volumeId));
    log(`volume ${healthy.status} again with a new mirror; detached and deleting it`);
  } finally {
    for (const host of hosts) await destroyLocalHost(host);
    await removeStorageBridge();
    rmSync(work, { recursive: true, force: true });
    log('hosts stopped, namespaces and loop devices removed');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
