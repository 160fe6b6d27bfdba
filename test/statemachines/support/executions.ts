import { readFileSync } from 'node:fs';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { eventually } from '../../e2e/support/local-cloud';

const sfn = new SFNClient({});
const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;

export type Workflow = 'CreateVolume' | 'DeleteVolume' | 'Failover' | 'ModifyVolume';

function stateMachineArn(workflow: Workflow): string {
  const arn = outputs.BlockplaneWorkflows?.[`${workflow}StateMachineArn`];
  if (!arn) throw new Error(`output ${workflow}StateMachineArn is missing`);
  return arn;
}

/** The execution ARN of `name` (execution names are part of the contract: docs/workflows.md). */
export function executionArn(workflow: Workflow, name: string): string {
  return stateMachineArn(workflow).replace(':stateMachine:', ':execution:') + `:${name}`;
}

/** Starts an execution of `workflow` named `name` with `input`, as another trigger of the product would. */
export async function startExecution(workflow: Workflow, name: string, input: unknown): Promise<void> {
  await sfn.send(new StartExecutionCommand({ stateMachineArn: stateMachineArn(workflow), name, input: JSON.stringify(input) }));
}

export interface FinishedExecution {
  readonly status: string;
  readonly error?: string;
  readonly cause?: string;
  /** The names of the states the execution entered, in order. */
  readonly statesEntered: readonly string[];
}

async function statesEntered(arn: string): Promise<string[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, nextToken, maxResults: 1000 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events.flatMap((event) => (event.stateEnteredEventDetails?.name ? [event.stateEnteredEventDetails.name] : []));
}

/** Describes the execution; with `until`, waits (bounded polling) until it reaches one of those statuses. */
export async function execution(workflow: Workflow, name: string, until: readonly string[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'], timeoutMs = 90_000): Promise<FinishedExecution> {
  const arn = executionArn(workflow, name);
  const described = await eventually(
    async () => {
      const found = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
      return until.includes(found.status ?? '') ? found : undefined;
    },
    timeoutMs,
    `execution ${name} to reach ${until.join('|')}`,
    500,
  );
  return { status: described.status ?? '', error: described.error, cause: described.cause, statesEntered: await statesEntered(arn) };
}
