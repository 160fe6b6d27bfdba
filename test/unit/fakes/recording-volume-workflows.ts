import type { VolumeWorkflows } from '../../../core/ports';
import type { VolumeCopy } from '../../../core/volume';

/** Records which workflows were started; `failNextCreate` makes the next creation start fail as the service would. */
export class RecordingVolumeWorkflows implements VolumeWorkflows {
  readonly creates: string[] = [];
  readonly deletes: { volumeId: string; version: number; copies: readonly VolumeCopy[] }[] = [];
  failNextCreate: Error | undefined;

  async startCreate(volumeId: string): Promise<void> {
    const failure = this.failNextCreate;
    this.failNextCreate = undefined;
    if (failure) throw failure;
    this.creates.push(volumeId);
  }

  async startDelete(volumeId: string, version: number, copies: readonly VolumeCopy[]): Promise<void> {
    this.deletes.push({ volumeId, version, copies });
  }
}
