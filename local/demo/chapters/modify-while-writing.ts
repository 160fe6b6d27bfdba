import { ok } from '../../../client/blockplane-api';
import { copyFileOf, volumeOf, type DemoContext } from '../demo-context';
import type { AttachedVolume } from './attach-and-write';

interface ModificationView {
  readonly modificationId: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly plan?: { readonly kind: string };
}

/** Re-rates, grows and moves the attached volume while the writer runs; every acknowledged write is on both new copies. */
export async function modifyWhileWriting(demo: DemoContext, attached: AttachedVolume): Promise<void> {
  const { story, tenant } = demo;
  const { volumeId } = attached.volume;
  story.chapter('2. Modify while writing: grow, move, re-rate');
  const done: string[] = [];
  for (const change of [{ sizeGiB: 2 }, { type: 'hdd' }, { iops: 400 }]) {
    const started = Date.now();
    const requested = ok<ModificationView>(await tenant.http.request('POST', `/volumes/${volumeId}/modifications`, change));
    const ended = await story.until(`modification ${JSON.stringify(change)}`, async () => {
      const seen = ok<ModificationView>(await tenant.http.request('GET', `/volumes/${volumeId}/modifications/${requested.modificationId}`));
      return ['completed', 'failed', 'cancelled'].includes(seen.status) ? seen : undefined;
    });
    if (ended.status !== 'completed') throw new Error(`modification ${JSON.stringify(change)} ${ended.status}: ${ended.statusReason ?? ''}`);
    const line = `${JSON.stringify(change)} ${ended.plan?.kind ?? ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`;
    done.push(line);
    story.log(`  ${line}; ${attached.writer.acked()} writes acknowledged so far`);
  }
  const changed = await volumeOf(tenant, volumeId);
  const checks = changed.copies.map((copy) => ({ copy, ...attached.writer.verify(copyFileOf(demo, copy)) }));
  for (const check of checks) story.log(`  ${check.copy.role} on ${check.copy.hostId}: ${check.acked} acknowledged writes checked, ${check.lost} missing`);
  story.prove({
    chapter: 'modify',
    proves: 'size, type and IOPS change while attached, no write lost',
    figures: `${changed.sizeGiB} GiB ${changed.type} ${changed.iops} IOPS; ${done.length} changes; client errors ${attached.writer.errors().length}; lost ${checks.map((c) => c.lost).join('/')} of ${checks[0]?.acked ?? 0}`,
    ok: changed.sizeGiB === 2 && changed.type === 'hdd' && attached.writer.errors().length === 0 && checks.every((c) => c.lost === 0 && c.acked > 0),
  });
}
