/**
 * The assertion controller on one host: real loop device mounted by the disks controller, real
 * qemu-storage-daemons serving copies over TLS-PSK; the spec is the repository's first spec and
 * the control plane's two audit routes are recorded in process (the e2e covers them on the cloud).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { SignedResponse } from '../../../client/signed-http';
import type { Assertion } from '../../../core/audit/assertion';
import { SpecDocumentSchema, clausesFor, type SpecVersion } from '../../../core/audit/spec';
import { AssertionController } from '../../../agent/audit/assertion-controller';
import { HostObserver } from '../../../agent/audit/host-observer';
import { SpecSource } from '../../../agent/audit/spec-source';
import { TestHost, createCopyPayload, newVolumeId, volumeKeys } from '../helpers/agent-host';

jest.setTimeout(180_000);

const firstSpec = SpecDocumentSchema.parse(JSON.parse(require('node:fs').readFileSync(path.join(__dirname, '../../../spec/blockplane.json'), 'utf8')));
const version = (n: number): SpecVersion => ({ version: n, clauses: clausesFor(firstSpec, ['storage-host', 'volume-copy']), author: 'test', createdAt: new Date().toISOString(), reason: 'test', changes: [] });

/** The two audit routes as the control plane answers them: ETag per version, 304 when unchanged; batches recorded. */
class RecordingAuditApi {
  spec = version(1);
  readonly batches: Assertion[][] = [];
  readonly specAnswers: number[] = [];

  async currentSpec(_types: readonly string[], etag?: string): Promise<SignedResponse> {
    const current = `"v${this.spec.version}"`;
    const status = etag === current ? 304 : 200;
    this.specAnswers.push(status);
    return status === 304 ? { status, body: undefined, text: '', etag: current } : { status, body: this.spec, text: JSON.stringify(this.spec), etag: current };
  }

  async postAssertions(assertions: readonly unknown[]): Promise<SignedResponse> {
    this.batches.push(assertions as Assertion[]);
    return { status: 202, body: { recorded: assertions.length }, text: '' };
  }
}

const find = (assertions: readonly Assertion[], componentId: string, clauseId: string) =>
  assertions.find((assertion) => assertion.componentId === componentId && assertion.clauseId === clauseId);

describe('the assertion controller', () => {
  let host: TestHost;
  let api: RecordingAuditApi;
  let controller: AssertionController;
  const copyIds: string[] = [];

  beforeAll(async () => {
    host = await TestHost.create({ diskSizeBytes: 4 * 1024 ** 3 });
    for (const iops of [300, 500]) {
      const volumeId = newVolumeId();
      const payload = createCopyPayload(volumeId, volumeKeys(volumeId), { iops });
      expect((await host.run('create-copy', payload)).status).toBe('succeeded');
      copyIds.push(payload.copyId as string);
    }
    api = new RecordingAuditApi();
    controller = new AssertionController({
      hostId: host.hostId,
      api,
      specs: new SpecSource(api),
      copies: host.copies,
      host: new HostObserver(host.hostId, () => host.disks.disks),
    });
  });

  afterAll(async () => {
    controller?.stop();
    await host?.destroy();
  });

  it('when the host and its copies keep the spec, every clause of theirs is asserted PASS against the version fetched', async () => {
    // When
    const { assertions, specVersion } = await controller.pass();
    // Then: 3 host clauses + 4 copy clauses per copy
    expect(specVersion).toBe(1);
    expect(assertions).toHaveLength(3 + 4 * copyIds.length);
    expect(assertions.filter((assertion) => assertion.result !== 'PASS')).toEqual([]);
    expect(find(assertions, `${host.hostId}/${copyIds[0]}`, 'copy-throttle-equals-committed-iops')).toMatchObject({ observed: 300, expected: 'equals 300 (committed committedIops)' });
    expect(find(assertions, `${host.hostId}/${copyIds[0]}`, 'copy-export-requires-tls-psk')?.observed).toBe('tls-creds-psk');
    expect(find(assertions, `${host.hostId}/${copyIds[0]}`, 'copy-file-o-direct')?.observed).toBe(true);
    expect(find(assertions, host.hostId, 'host-disk-mount-options')?.observed).toEqual(expect.arrayContaining(['rw', 'noatime']));
    expect(api.batches.at(-1)).toEqual(assertions);
  });

  it('when the spec is unchanged, the poll is answered 304 and the version kept; a new version is fetched and named', async () => {
    // When
    await controller.pass();
    // Then
    expect(api.specAnswers.at(-1)).toBe(304);
    // When
    api.spec = version(2);
    const { specVersion, assertions } = await controller.pass();
    // Then
    expect(api.specAnswers.at(-1)).toBe(200);
    expect(specVersion).toBe(2);
    expect(new Set(assertions.map((assertion) => assertion.specVersion))).toEqual(new Set([2]));
  });

  it("when a copy's throttle limit is changed by hand over QMP, it is asserted FAIL with the observed and the committed value", async () => {
    // Given
    const served = host.copies.servedCopy(copyIds[1])!;
    const group = `/objects/${served.copy.metadata.nodeNames.throttleGroup}`;
    const limits = await served.daemon.qmp.execute<Record<string, number>>('qom-get', { path: group, property: 'limits' });
    await served.daemon.qmp.execute('qom-set', { path: group, property: 'limits', value: { ...limits, 'iops-total': 50 } });
    // When
    const { assertions } = await controller.pass();
    // Then
    expect(find(assertions, `${host.hostId}/${copyIds[1]}`, 'copy-throttle-equals-committed-iops')).toMatchObject({
      result: 'FAIL', observed: 50, expected: 'equals 500 (committed committedIops)',
    });
    expect(find(assertions, `${host.hostId}/${copyIds[0]}`, 'copy-throttle-equals-committed-iops')?.result).toBe('PASS');
  });

  it("when a copy's PSK file is made readable by others, the security clause is asserted FAIL with the mode seen", async () => {
    // Given
    const served = host.copies.servedCopy(copyIds[0])!;
    await fs.chmod(path.join(served.copy.tlsServerDir, 'keys.psk'), 0o644);
    // When
    const { assertions } = await controller.pass();
    // Then
    expect(find(assertions, `${host.hostId}/${copyIds[0]}`, 'copy-psk-file-mode-0600')).toMatchObject({ result: 'FAIL', observed: '0644', expected: 'equals 0600' });
  });

  it('when a second pass is asked while one runs, both share it (one batch)', async () => {
    // When
    const before = api.batches.length;
    const [a, b] = await Promise.all([controller.pass(), controller.pass()]);
    // Then
    expect(a).toBe(b);
    expect(api.batches.length).toBe(before + 1);
  });
});
