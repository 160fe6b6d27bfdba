import { ok, type VolumeApi } from '../../../client/blockplane-api';
import type { DemoContext } from '../demo-context';
import type { AttachedVolume } from './attach-and-write';

interface EventList {
  readonly notices: readonly { readonly volumeId: string; readonly statusCode: string; readonly componentId: string; readonly description: string }[];
}

const noticesOf = async (api: VolumeApi) => ok<EventList>(await api.http.request('GET', '/events')).notices;

/** The host failure reached the demo tenant as a notice about its volume, and the bystander tenant got none (the evaluator runs every minute). */
export async function notices(demo: DemoContext, attached: AttachedVolume, killedHostId: string): Promise<void> {
  const { story } = demo;
  story.chapter('7. Notices to exactly the affected tenant');
  const mine = await story.until(
    `a notice about ${attached.volume.volumeId} (the health evaluator runs every minute)`,
    async () => {
      const seen = (await noticesOf(demo.tenant)).filter((notice) => notice.volumeId === attached.volume.volumeId && notice.componentId === `host:${killedHostId}`);
      return seen.length > 0 ? seen : undefined;
    },
    150_000,
  );
  for (const notice of mine) story.log(`  demo tenant: ${notice.statusCode} ${notice.volumeId}: ${notice.description}`);
  const theirs = (await noticesOf(demo.bystander)).filter((notice) => notice.componentId === `host:${killedHostId}`);
  story.prove({
    chapter: 'notices',
    proves: 'the affected tenant is told about its volume, the other tenant is not',
    figures: `demo tenant ${mine.length} notice(s) (${[...new Set(mine.map((n) => n.statusCode))].join(', ')}); other tenant ${theirs.length}`,
    ok: mine.length > 0 && theirs.length === 0,
  });
}
