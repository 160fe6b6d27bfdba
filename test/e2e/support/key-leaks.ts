import { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetExecutionHistoryCommand, ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { deployment } from './local-cloud';

/** Where a key was found: a log group, an execution history or the host-commands table. */
export interface KeyLeak {
  readonly where: string;
  readonly keyHex: string;
}

/** Every page of a paginated call, bounded so a broken `next` token can never loop forever. */
const MAX_PAGES = 10_000;

async function allPages<P>(fetch: (token: string | undefined) => Promise<{ page: P; next?: string }>): Promise<P[]> {
  const pages: P[] = [];
  let token: string | undefined;
  for (let count = 0; count < MAX_PAGES; count++) {
    const { page, next } = await fetch(token);
    pages.push(page);
    if (!next || next === token) return pages;
    token = next;
  }
  throw new Error(`more than ${MAX_PAGES} pages`);
}

/** The texts to search: every event of every log group, every event of every execution history, every stored host command. */
export async function everyStoredText(): Promise<{ where: string; text: string }[]> {
  const texts: { where: string; text: string }[] = [];
  const logs = new CloudWatchLogsClient({});
  const groups = (
    await allPages(async (nextToken) => {
      const answer = await logs.send(new DescribeLogGroupsCommand({ nextToken }));
      return { page: answer.logGroups ?? [], next: answer.nextToken };
    })
  ).flat();
  for (const group of groups) {
    const name = group.logGroupName!;
    const events = (
      await allPages(async (nextToken) => {
        const answer = await logs.send(new FilterLogEventsCommand({ logGroupName: name, nextToken }));
        return { page: answer.events ?? [], next: answer.nextToken };
      })
    ).flat();
    texts.push({ where: `log group ${name}`, text: events.map((event) => event.message ?? '').join('\n') });
  }

  const sfn = new SFNClient({});
  const machines = (
    await allPages(async (nextToken) => {
      const answer = await sfn.send(new ListStateMachinesCommand({ nextToken }));
      return { page: answer.stateMachines ?? [], next: answer.nextToken };
    })
  ).flat();
  for (const machine of machines) {
    const executions = (
      await allPages(async (nextToken) => {
        const answer = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine.stateMachineArn, nextToken }));
        return { page: answer.executions ?? [], next: answer.nextToken };
      })
    ).flat();
    for (const execution of executions) {
      const events = (
        await allPages(async (nextToken) => {
          const answer = await sfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn, nextToken }));
          return { page: answer.events ?? [], next: answer.nextToken };
        })
      ).flat();
      texts.push({ where: `execution history ${execution.executionArn}`, text: JSON.stringify(events) });
    }
  }

  const dynamodb = new DynamoDBClient({});
  const items = (
    await allPages(async (start) => {
      const answer = await dynamodb.send(
        new ScanCommand({ TableName: deployment.hostCommandsTableName, ExclusiveStartKey: start ? JSON.parse(start) : undefined }),
      );
      return { page: answer.Items ?? [], next: answer.LastEvaluatedKey ? JSON.stringify(answer.LastEvaluatedKey) : undefined };
    })
  ).flat();
  texts.push({ where: 'host-commands table', text: JSON.stringify(items) });
  return texts;
}

/** Every place where one of `keysHex` appears (any letter case). */
export async function findKeyLeaks(keysHex: Iterable<string>): Promise<{ leaks: KeyLeak[]; searched: number }> {
  const wanted = [...new Set([...keysHex].map((key) => key.toLowerCase()))];
  const texts = await everyStoredText();
  const leaks: KeyLeak[] = [];
  for (const { where, text } of texts) {
    const lower = text.toLowerCase();
    for (const keyHex of wanted) if (lower.includes(keyHex)) leaks.push({ where, keyHex });
  }
  return { leaks, searched: texts.length };
}
