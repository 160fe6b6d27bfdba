import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { FailoverWorkflows } from '../core/ports';

/**
 * Starts the fail-over workflow. The execution is named after the lost copy and the volume
 * version the loss was judged at: two triggers for one loss start one execution, and a later
 * loss judgement (a newer version) is never blocked by an old execution's name.
 */
export class StepFunctionsFailoverWorkflows implements FailoverWorkflows {
  constructor(
    private readonly stateMachineArn: string,
    private readonly client: SFNClient = new SFNClient({}),
  ) {}

  async startFailover(volumeId: string, lostCopyId: string, reason: string, volumeVersion: number): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: `failover-${lostCopyId}-v${volumeVersion}`,
          input: JSON.stringify({ volumeId, lostCopyId, reason }),
        }),
      );
    } catch (error) {
      // This loss's fail-over is already running or done.
      if ((error as { name?: string }).name !== 'ExecutionAlreadyExists') throw error;
    }
  }
}
