import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { EVALUATOR_TIMEOUT_SECONDS } from '../core/health/notice-outbox';
import { TriggerSettingsSchema, type TriggerSettings } from '../core/health/triggers';
import { BlockplaneFunction } from './blockplane-function';
import { TABLE_INDEX_REASON, acknowledgeGrantWildcards } from './nag-acknowledgements';

export interface HealthStackProps extends StackProps {
  readonly volumesTable: dynamodb.ITable;
  readonly hostsTable: dynamodb.ITable;
  /** The modify-volume workflow the `move` remediation starts. */
  readonly modifyVolumeStateMachine: sfn.IStateMachine;
  /** Silence after which a host is quiet and probed. */
  readonly hostHeartbeatTimeout: Duration;
  /**
   * What opens an event (core/health/triggers.ts).
   * @default - DEFAULT_TRIGGERS: red, 3 correlated comments in 30 min, a correlation of 0.95, closing after 300 s green
   */
  readonly triggers?: Partial<TriggerSettings>;
  /**
   * How often the evaluator runs.
   * @default Duration.minutes(1)
   */
  readonly evaluationInterval?: Duration;
  /**
   * Principals whose ARN starts with this are operators (component health, comment ingest).
   * @default - IAM users under the path `/blockplane-operators/` of the deploying account
   */
  readonly operatorPrincipalArnPrefix?: string;
  /**
   * The fleet's probe function inside the hosts' VPC (BlockplaneFleet's `hostProbe`), which the
   * evaluator invokes by name to probe quiet hosts.
   * @default - the evaluator probes from its own network (the local cloud without a fleet stack)
   */
  readonly hostProbeFunctionName?: string;
}

/** Attempts of one webhook POST before its notice goes to the dead-letter queue. */
export const WEBHOOK_ATTEMPTS = 5;

/**
 * Infrastructure health (docs/health.md): the health table, the scheduled evaluator (health from
 * heartbeats, volume signals and probes; triggers; events; notices; remediation), the health bus
 * (one `blockplane.health` event per notice) and the webhook queue with its dead-letter queue and
 * signing deliverer. The API routes live in BlockplaneApi (`healthRoutes`).
 */
export class HealthStack extends Stack {
  readonly healthTable: dynamodb.ITable;
  readonly bus: events.IEventBus;
  readonly webhookQueue: sqs.IQueue;
  readonly webhookDeadLetterQueue: sqs.IQueue;
  readonly operatorPrincipalArnPrefix: string;
  readonly triggersJson: string;

  constructor(scope: Construct, id: string, props: HealthStackProps) {
    super(scope, id, props);
    const triggers = TriggerSettingsSchema.safeParse(props.triggers ?? {});
    if (!triggers.success) throw new Error(`triggers are not valid: ${triggers.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.triggersJson = JSON.stringify(triggers.data);
    this.operatorPrincipalArnPrefix = props.operatorPrincipalArnPrefix ?? `arn:${this.partition}:iam::${this.account}:user/blockplane-operators/`;

    const table = new dynamodb.Table(this, 'HealthTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.healthTable = table;
    const bus = new events.EventBus(this, 'HealthBus', { description: 'Blockplane health notices (source blockplane.health), one event per notice' });
    this.bus = bus;

    const deadLetters = new sqs.Queue(this, 'WebhookDeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const queue = new sqs.Queue(this, 'WebhookQueue', {
      visibilityTimeout: Duration.seconds(60),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: WEBHOOK_ATTEMPTS },
    });
    this.webhookQueue = queue;
    this.webhookDeadLetterQueue = deadLetters;

    const deliver = new BlockplaneFunction(this, 'DeliverWebhook', {
      entry: 'lambdas/events/deliver-webhook.ts',
      description: "Signs each health notice with the tenant's webhook key and POSTs it (the queue retries, then dead-letters)",
      timeout: Duration.seconds(30),
      environment: { HEALTH_TABLE: table.tableName },
    });
    table.grantReadData(deliver);
    deliver.function.addEventSource(new lambdaEvents.SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true }));

    const evaluate = new BlockplaneFunction(this, 'EvaluateHealth', {
      entry: 'lambdas/events/evaluate-health.ts',
      description: 'Scheduled: health of every component, triggers, events, notices exactly once, remediation by the tenants’ settings',
      timeout: Duration.seconds(EVALUATOR_TIMEOUT_SECONDS),
      environment: {
        HEALTH_TABLE: table.tableName,
        VOLUMES_TABLE: props.volumesTable.tableName,
        HOSTS_TABLE: props.hostsTable.tableName,
        HEALTH_BUS_NAME: bus.eventBusName,
        WEBHOOK_QUEUE_URL: queue.queueUrl,
        MODIFY_VOLUME_STATE_MACHINE_ARN: props.modifyVolumeStateMachine.stateMachineArn,
        HOST_HEARTBEAT_TIMEOUT_SECONDS: String(props.hostHeartbeatTimeout.toSeconds()),
        HEALTH_TRIGGERS: this.triggersJson,
        ...(props.hostProbeFunctionName && { HOST_PROBE_FUNCTION_NAME: props.hostProbeFunctionName }),
      },
    });
    table.grantReadWriteData(evaluate);
    props.volumesTable.grantReadWriteData(evaluate);
    props.hostsTable.grantReadData(evaluate);
    bus.grantPutEventsTo(evaluate.function);
    queue.grantSendMessages(evaluate);
    props.modifyVolumeStateMachine.grantStartExecution(evaluate);
    if (props.hostProbeFunctionName) {
      evaluate.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [this.formatArn({ service: 'lambda', resource: 'function', resourceName: props.hostProbeFunctionName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
      );
    }
    new events.Rule(this, 'EvaluateHealthSchedule', {
      description: 'Runs the health evaluation (docs/health.md)',
      schedule: events.Schedule.rate(props.evaluationInterval ?? Duration.minutes(1)),
      targets: [new targets.LambdaFunction(evaluate.function, { retryAttempts: 0 })],
    });
    acknowledgeGrantWildcards(evaluate, { arns: [props.volumesTable.tableArn, props.hostsTable.tableArn], suffix: '/index/*', reason: TABLE_INDEX_REASON });

    new CfnOutput(this, 'HealthTableName', { value: table.tableName });
    new CfnOutput(this, 'HealthBusName', { value: bus.eventBusName });
    new CfnOutput(this, 'WebhookQueueUrl', { value: queue.queueUrl });
    new CfnOutput(this, 'WebhookDeadLetterQueueUrl', { value: deadLetters.queueUrl });
    new CfnOutput(this, 'EvaluateHealthFunctionName', { value: evaluate.function.functionName });
  }
}

/** What the API's health routes need from this stack. */
export interface HealthApiResources {
  readonly healthTable: dynamodb.ITable;
  readonly operatorPrincipalArnPrefix: string;
  readonly triggersJson: string;
}
