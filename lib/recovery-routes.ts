import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { BlockplaneFunction } from './blockplane-function';
import { grantSealKeys, keySealingEnvironment } from './key-sealing';
import { TABLE_INDEX_REASON, acknowledgeGrantWildcards } from './nag-acknowledgements';
import type { RecoveryApiResources } from './recovery-stack';

/** A route as ApiStack builds it (its `Route`), for the recovery handlers. */
export interface RecoveryRoute {
  readonly id: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly entry: string;
  readonly description: string;
  readonly grant: (fn: BlockplaneFunction) => void;
  readonly environment: Record<string, string>;
}

/** The execute-api path storage hosts may call for recovery (the agent's recovery report). */
export const HOST_RECOVERY_ROUTES = [{ method: 'POST', path: '/hosts/*/recovery-reports' }] as const;
export const HOST_RECOVERY_RESOURCE_PATHS = [{ method: 'POST', path: '/hosts/{hostId}/recovery-reports' }] as const;

export interface RecoveryRouteTables {
  readonly volumesTable: dynamodb.ITable;
  readonly hostsTable: dynamodb.ITable;
  readonly hostCommandsTable: dynamodb.ITable;
  readonly keySealingKey: kms.IKey;
  readonly failoverStateMachine: sfn.IStateMachine;
  readonly deleteVolumeStateMachine: sfn.IStateMachine;
}

/** The recovery routes (docs/recovery.md, "API"), each with exactly its grants. */
export function recoveryRoutes(resources: RecoveryApiResources, tables: RecoveryRouteTables): RecoveryRoute[] {
  const { recoveryTable: table } = resources;
  const environment = { ...resources.recoveryEnvironment, FAILOVER_STATE_MACHINE_ARN: tables.failoverStateMachine.stateMachineArn };
  const readRecovery = (fn: BlockplaneFunction) => {
    table.grantReadData(fn);
    acknowledgeGrantWildcards(fn, { arns: [table.tableArn], suffix: '/index/*', reason: TABLE_INDEX_REASON });
  };
  const writeRecovery = (fn: BlockplaneFunction) => {
    table.grantReadWriteData(fn);
    acknowledgeGrantWildcards(fn, { arns: [table.tableArn], suffix: '/index/*', reason: TABLE_INDEX_REASON });
  };
  return [
    {
      id: 'ReportRecovery', method: 'POST', path: '/hosts/{hostId}/recovery-reports', entry: 'lambdas/api/report-recovery.ts', environment,
      description: 'A host in recovery reports a page of its copies; each is classified with its proof (a batch of hosts at a time, 429 for the rest)',
      grant: (fn) => {
        writeRecovery(fn);
        tables.volumesTable.grantReadWriteData(fn);
        tables.hostsTable.grantReadData(fn);
        tables.hostCommandsTable.grantReadWriteData(fn);
        tables.failoverStateMachine.grantStartExecution(fn);
      },
    },
    { id: 'GetRecovery', method: 'GET', path: '/volumes/{volumeId}/recovery', entry: 'lambdas/api/get-recovery.ts', environment, description: "A volume's recovery: verdicts, proofs, deadlines and choices", grant: readRecovery },
    {
      id: 'CreateRecoveryAccess', method: 'POST', path: '/volumes/{volumeId}/recovery-access', entry: 'lambdas/api/create-recovery-access.ts',
      environment: { ...environment, ...keySealingEnvironment(tables.keySealingKey) },
      description: 'A read-only export of a copy held in recovery, with its own key (15 minutes)',
      grant: (fn) => {
        writeRecovery(fn);
        tables.volumesTable.grantReadData(fn);
        tables.hostsTable.grantReadData(fn);
        tables.hostCommandsTable.grantReadWriteData(fn);
        grantSealKeys(tables.keySealingKey, fn);
      },
    },
    {
      id: 'DecideRecovery', method: 'POST', path: '/volumes/{volumeId}/recovery-decision', entry: 'lambdas/api/decide-recovery.ts', environment,
      description: "The owner's decision on a recovery: enable, snapshot, archive or delete",
      grant: (fn) => {
        writeRecovery(fn);
        tables.volumesTable.grantReadWriteData(fn);
        tables.hostsTable.grantReadData(fn);
        tables.hostCommandsTable.grantReadWriteData(fn);
        tables.failoverStateMachine.grantStartExecution(fn);
        tables.deleteVolumeStateMachine.grantStartExecution(fn);
      },
    },
    {
      id: 'ListVolumeEvents', method: 'GET', path: '/volumes/{volumeId}/events', entry: 'lambdas/api/list-volume-events.ts', environment,
      description: "A volume's owner notices, newest first",
      grant: (fn) => {
        readRecovery(fn);
        tables.volumesTable.grantReadData(fn);
      },
    },
  ];
}
