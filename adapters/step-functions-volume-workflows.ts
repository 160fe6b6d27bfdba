import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { VolumeWorkflows } from '../core/ports';
import type { VolumeCopy } from '../core/volume';

function isAlreadyStarted(error: unknown): boolean {
  return (error as { name?: string }).name === 'ExecutionAlreadyExists';
}

/** Starts volume workflows; an execution is named after its volume, so starting twice starts once. */
export class StepFunctionsVolumeWorkflows implements VolumeWorkflows {
  constructor(
    private readonly createStateMachineArn: string,
    private readonly deleteStateMachineArn: string,
    private readonly client: SFNClient = new SFNClient({}),
  ) {}

  startCreate(volumeId: string): Promise<void> {
    return this.start(this.createStateMachineArn, `create-${volumeId}`, { volumeId });
  }

  startDelete(volumeId: string, copies: readonly VolumeCopy[]): Promise<void> {
    return this.start(this.deleteStateMachineArn, `delete-${volumeId}`, { volumeId, copies });
  }

  private async start(stateMachineArn: string, name: string, input: Record<string, unknown>): Promise<void> {
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    } catch (error) {
      // The workflow for this volume is already running or done: nothing more to start.
      if (!isAlreadyStarted(error)) throw error;
    }
  }
}
