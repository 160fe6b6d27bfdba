import type { AttachmentView } from '../../../client/blockplane-api';
import { AttachmentWatcher } from '../../../client/bridge/attachment-watcher';

const view = (port: number, keyHex = 'a'.repeat(64)): AttachmentView => ({
  attachmentId: 'att-00112233aabb',
  volumeId: 'vol-0123456789abcdef0',
  generation: 1,
  hostId: `host-${port}`,
  nbd: { address: '10.77.0.11', port, exportName: 'vol-0123456789abcdef0' },
  tls: { type: 'psk', identity: 'client-vol-0123456789abcdef0-att-00112233aabb-g1', keyHex },
});

/** Bounded polling (no timing decides the outcome). */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('AttachmentWatcher', () => {
  let watcher: AttachmentWatcher | undefined;
  afterEach(() => watcher?.stop());

  it('when trouble is reported and the attachment names another primary, it reads at once and reports the change', async () => {
    // Given a watcher that would poll only every minute
    let answer = view(10809);
    const changes: AttachmentView[] = [];
    watcher = new AttachmentWatcher(view(10809), async () => answer, (next) => changes.push(next), { pollIntervalMs: 60_000 });
    watcher.start();
    // When the primary moves and the relay reports trouble
    answer = view(10810);
    watcher.refreshNow();
    // Then the change is reported without waiting for the poll
    await until(() => changes.length === 1, 'the change');
    expect(changes[0]!.nbd.port).toBe(10810);
    expect(watcher.attachment.nbd.port).toBe(10810);
  });

  it('when only the key changes, it reports the change; when nothing changed, it reports nothing', async () => {
    let answer = view(10809);
    const changes: AttachmentView[] = [];
    watcher = new AttachmentWatcher(view(10809), async () => answer, (next) => changes.push(next), { pollIntervalMs: 60_000, minRefreshIntervalMs: 0 });
    watcher.start();
    watcher.refreshNow();
    await until(() => watcher!.reads === 1, 'the first read');
    expect(changes).toEqual([]);
    answer = view(10809, 'b'.repeat(64));
    watcher.refreshNow();
    await until(() => changes.length === 1, 'the key change');
    expect(changes[0]!.tls.keyHex).toBe('b'.repeat(64));
  });

  it('when a read fails or answers unusable details, it keeps the last known primary and reads again on the next trouble', async () => {
    const answers: Array<() => AttachmentView> = [
      () => {
        throw new Error('HTTP 409 Conflict: promotion in progress');
      },
      () => ({ ...view(10810), nbd: { ...view(10810).nbd, address: 'evil,driver=file' } }),
      () => view(10811),
    ];
    let calls = 0;
    const changes: AttachmentView[] = [];
    watcher = new AttachmentWatcher(view(10809), async () => answers[Math.min(calls++, answers.length - 1)]!(), (next) => changes.push(next), { pollIntervalMs: 60_000, minRefreshIntervalMs: 0 });
    watcher.start();
    watcher.refreshNow();
    await until(() => calls === 1, 'the failed read');
    expect(watcher.attachment.nbd.port).toBe(10809);
    watcher.refreshNow();
    await until(() => calls === 2, 'the unusable read');
    expect(watcher.attachment.nbd.port).toBe(10809);
    watcher.refreshNow();
    await until(() => changes.length === 1, 'the good read');
    expect(changes.map((change) => change.nbd.port)).toEqual([10811]);
  });

  it('when trouble is reported many times during one read, it coalesces them into one more read', async () => {
    let release: () => void = () => undefined;
    let calls = 0;
    watcher = new AttachmentWatcher(
      view(10809),
      () => {
        calls += 1;
        return new Promise((resolve) => (release = () => resolve(view(10809))));
      },
      () => undefined,
      { pollIntervalMs: 60_000, minRefreshIntervalMs: 0 },
    );
    watcher.start();
    watcher.refreshNow();
    await until(() => calls === 1, 'the first read');
    for (let i = 0; i < 50; i++) watcher.refreshNow();
    release();
    await until(() => calls === 2, 'the coalesced read');
    release();
    await until(() => watcher!.reads === 2, 'both reads to finish');
    expect(calls).toBe(2);
  });
});
