import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { FailoverWorkflows } from '../core/ports';

/** Starts the fail-over workflow; the execution is named after the lost copy, so it runs once per copy. */
export class StepFunctionsFailoverWorkflows implements FailoverWorkflows {
  constructor(
    private readonly stateMachineArn: string,
    private readonly client: SFNClient = new SFNClient({}),
  ) {}

  async startFailover(volumeId: string, lostCopyId: string, reason: string): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: `failover-${lostCopyId}`,
          input: JSON.stringify({ volumeId, lostCopyId, reason }),
        }),
      );
    } catch (error) {
      // This copy's fail-over is already running or done.
      if ((error as { name?: string }).name !== 'ExecutionAlreadyExists') throw error;
    }
  }
}
