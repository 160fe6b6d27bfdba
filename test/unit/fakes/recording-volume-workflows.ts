import type { VolumeWorkflows } from '../../../core/ports';
import type { VolumeCopy } from '../../../core/volume';

/** Records which workflows were started (the real adapter starts one execution per volume). */
export class RecordingVolumeWorkflows implements VolumeWorkflows {
  readonly creates: string[] = [];
  readonly deletes: { volumeId: string; copies: readonly VolumeCopy[] }[] = [];

  async startCreate(volumeId: string): Promise<void> {
    this.creates.push(volumeId);
  }

  async startDelete(volumeId: string, copies: readonly VolumeCopy[]): Promise<void> {
    this.deletes.push({ volumeId, copies });
  }
}
