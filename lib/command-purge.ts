import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { BlockplaneFunction } from './blockplane-function';

export interface CommandPurgeProps {
  readonly hostCommandsTable: dynamodb.ITable;

  /**
   * How often finished host commands older than their retention are deleted.
   * @default Duration.hours(1)
   */
  readonly interval?: Duration;
}

/**
 * Deletes finished host commands on a schedule (an EventBridge rule invoking a small function),
 * so the commands table does not grow with history even where TTL is late or absent.
 */
export class CommandPurge extends Construct {
  readonly function: BlockplaneFunction;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: CommandPurgeProps) {
    super(scope, id);
    const interval = props.interval ?? Duration.hours(1);
    if (interval.toMinutes() < 1 || !Number.isInteger(interval.toMinutes())) {
      throw new Error(`CommandPurge interval must be a whole number of minutes, at least 1; received ${interval.toHumanString()}`);
    }
    this.function = new BlockplaneFunction(this, 'PurgeFinishedCommands', {
      entry: 'lambdas/tasks/purge-finished-commands.ts',
      description: 'Deletes finished host commands older than their retention (scheduled)',
      timeout: Duration.minutes(5),
      environment: { COMMANDS_TABLE: props.hostCommandsTable.tableName },
    });
    props.hostCommandsTable.grantReadWriteData(this.function);
    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Purges finished host commands',
      schedule: events.Schedule.rate(interval),
      targets: [new targets.LambdaFunction(this.function.function, { retryAttempts: 2 })],
    });
  }
}
