import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ModificationWorkflows } from '../core/modification-ports';

/** Starts the modify-volume workflow, named after the modification (one execution per modification). */
export class StepFunctionsModificationWorkflows implements ModificationWorkflows {
  constructor(
    private readonly stateMachineArn: string,
    private readonly client: SFNClient = new SFNClient({}),
  ) {}

  async startModification(volumeId: string, modificationId: string): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: `modify-${modificationId}`, input: JSON.stringify({ volumeId, modificationId }) }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== 'ExecutionAlreadyExists') throw error;
    }
  }
}
