import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SnapshotWorkflows } from '../core/snapshots/ports';
import type { Snapshot } from '../core/snapshots/snapshot';

const isAlreadyStarted = (error: unknown): boolean => (error as { name?: string }).name === 'ExecutionAlreadyExists';

/** Starts the snapshot-volume and collect-snapshot-chunks workflows, each named after its snapshot (one run per snapshot). */
export class StepFunctionsSnapshotWorkflows implements SnapshotWorkflows {
  constructor(
    private readonly snapshotStateMachineArn: string,
    private readonly collectStateMachineArn: string,
    private readonly client: SFNClient = new SFNClient({}),
  ) {}

  startSnapshot(snapshot: Snapshot): Promise<void> {
    return this.start(this.snapshotStateMachineArn, `snapshot-${snapshot.snapshotId}`, { snapshotId: snapshot.snapshotId, volumeId: snapshot.volumeId });
  }

  startChunkCollection(snapshot: Snapshot): Promise<void> {
    return this.start(this.collectStateMachineArn, `collect-${snapshot.snapshotId}`, { snapshotId: snapshot.snapshotId });
  }

  private async start(stateMachineArn: string, name: string, input: Record<string, unknown>): Promise<void> {
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    } catch (error) {
      // This snapshot's workflow already runs or ran: nothing more to start.
      if (!isAlreadyStarted(error)) throw error;
    }
  }
}
