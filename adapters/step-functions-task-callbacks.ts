import { SFNClient, SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { TaskCallbacks } from '../core/ports';

function isGoneTask(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'TaskTimedOut' || name === 'TaskDoesNotExist' || name === 'InvalidToken';
}

/**
 * Completes a waiting workflow task; a task that already timed out or completed is reported as
 * expired. A success whose output Step Functions refuses (InvalidOutput: not JSON, too large) is
 * delivered as a failure instead, so the task ends with the reason, not later with a timeout.
 */
export class StepFunctionsTaskCallbacks implements TaskCallbacks {
  constructor(private readonly client: SFNClient = new SFNClient({})) {}

  async succeed(taskToken: string, output: Record<string, unknown>): Promise<'delivered' | 'expired'> {
    try {
      return await this.deliver(() => this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })));
    } catch (error) {
      if ((error as { name?: string }).name !== 'InvalidOutput') throw error;
      return this.fail(taskToken, 'HostResultUndeliverable', `the host's result could not be handed to the workflow: ${(error as Error).message}`);
    }
  }

  async fail(taskToken: string, error: string, cause: string): Promise<'delivered' | 'expired'> {
    return this.deliver(() => this.client.send(new SendTaskFailureCommand({ taskToken, error: error.slice(0, 256), cause: cause.slice(0, 32768) })));
  }

  async heartbeat(taskToken: string): Promise<'delivered' | 'expired'> {
    return this.deliver(() => this.client.send(new SendTaskHeartbeatCommand({ taskToken })));
  }

  private async deliver(send: () => Promise<unknown>): Promise<'delivered' | 'expired'> {
    try {
      await send();
      return 'delivered';
    } catch (error) {
      if (isGoneTask(error)) return 'expired';
      throw error;
    }
  }
}
