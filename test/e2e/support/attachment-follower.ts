import { ok, type AttachmentView, type VolumeApi } from '../../../client/blockplane-api';
import { publishEndpoint, type Endpoint } from './nbd-clients';

/** How often the follower asks where the attachment's primary is. */
const POLL_INTERVAL_MS = 250;

export const endpointOf = (attachment: AttachmentView): Endpoint => ({ ...attachment.nbd, identity: attachment.tls.identity, keyHex: attachment.tls.keyHex });

/**
 * Keeps an endpoint file pointing at the attachment's current primary, as an attach client does:
 * it polls `GET /volumes/{id}/attachments/{attachmentId}` and rewrites the file when the primary
 * moves (the writer and the following reader re-read it). Failed polls (the control plane is
 * down) are skipped.
 */
export class AttachmentFollower {
  private timer: NodeJS.Timeout | undefined;
  private current: AttachmentView;
  /** Every move seen: when (epoch ms), to which host, at which generation. */
  readonly moves: { at: number; hostId: string; generation: number }[] = [];

  constructor(
    private readonly tenant: VolumeApi,
    first: AttachmentView,
    private readonly endpointFile: string,
  ) {
    this.current = first;
    publishEndpoint(endpointFile, endpointOf(first));
  }

  get attachment(): AttachmentView {
    return this.current;
  }

  start(): void {
    const tick = async (): Promise<void> => {
      try {
        const now = ok<AttachmentView>(await this.tenant.http.request('GET', `/volumes/${this.current.volumeId}/attachments/${this.current.attachmentId}`));
        const moved = now.hostId !== this.current.hostId || now.nbd.address !== this.current.nbd.address || now.nbd.port !== this.current.nbd.port || now.tls.keyHex !== this.current.tls.keyHex;
        if (moved) {
          this.current = now;
          this.moves.push({ at: Date.now(), hostId: now.hostId, generation: now.generation });
          publishEndpoint(this.endpointFile, endpointOf(now));
        }
      } catch {
        // Deliberately skipped: the control plane may be down (one of the faults); the next poll retries.
      }
      if (this.timer) this.timer = setTimeout(() => void tick(), POLL_INTERVAL_MS);
    };
    this.timer = setTimeout(() => void tick(), POLL_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
