import { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';

const MAX_PAGES = 1_000;

/**
 * The `unexpected failure` lines the API's functions logged (lambdas/shared/http-response.ts) since
 * `sinceMs`, with their log group: what a 500 was, so a failing run names its cause.
 */
export async function unexpectedFailuresSince(sinceMs: number): Promise<string[]> {
  const logs = new CloudWatchLogsClient({});
  const found: string[] = [];
  let groupsToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const groups = await logs.send(new DescribeLogGroupsCommand({ nextToken: groupsToken }));
    for (const group of groups.logGroups ?? []) {
      let eventsToken: string | undefined;
      for (let eventsPage = 0; eventsPage < MAX_PAGES; eventsPage++) {
        const events = await logs.send(new FilterLogEventsCommand({ logGroupName: group.logGroupName, startTime: sinceMs, nextToken: eventsToken }));
        for (const event of events.events ?? []) {
          if (event.message?.includes('unexpected failure')) found.push(`${group.logGroupName}: ${event.message.slice(0, 4_000)}`);
        }
        if (!events.nextToken || events.nextToken === eventsToken) break;
        eventsToken = events.nextToken;
      }
    }
    if (!groups.nextToken || groups.nextToken === groupsToken) break;
    groupsToken = groups.nextToken;
  }
  return found;
}
