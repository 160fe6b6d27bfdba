import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { VolumeWorkflows } from '../core/ports';
import type { VolumeCopy } from '../core/volume';

function isAlreadyStarted(error: unknown): boolean {
  return (error as { name?: string }).name === 'ExecutionAlreadyExists';
}

/**
 * Starts volume workflows. A creation is named after its volume (a volume is created once); a
 * deletion after its volume and the version of its `deleting` record, so a repeated DELETE
 * starts nothing new and a DELETE after a failed deletion starts a new attempt.
 */
export class StepFunctionsVolumeWorkflows implements VolumeWorkflows {
  constructor(
    private readonly createStateMachineArn: string,
    private readonly deleteStateMachineArn: string,
    private readonly client: SFNClient = new SFNClient({}),
  ) {}

  startCreate(volumeId: string): Promise<void> {
    return this.start(this.createStateMachineArn, `create-${volumeId}`, { volumeId });
  }

  startDelete(volumeId: string, version: number, copies: readonly VolumeCopy[]): Promise<void> {
    return this.start(this.deleteStateMachineArn, `delete-${volumeId}-v${version}`, { volumeId, copies });
  }

  private async start(stateMachineArn: string, name: string, input: Record<string, unknown>): Promise<void> {
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    } catch (error) {
      // This attempt's workflow is already running or done: nothing more to start.
      if (!isAlreadyStarted(error)) throw error;
    }
  }
}
