import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { BlockplaneFunction } from './blockplane-function';
import type { HealthApiResources } from './health-stack';

/** A route as ApiStack builds it (its `Route`), for the health handlers. */
export interface HealthRoute {
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly entry: string;
  readonly description: string;
  readonly grant: (fn: BlockplaneFunction) => void;
  readonly environment: Record<string, string>;
  /** The help page itself: static HTML with no data, served without a signature (its calls are signed). */
  readonly unauthenticated?: true;
}

/** The customer-facing health paths (counted against the tenant's request limit). */
export const HEALTH_CUSTOMER_PATH_PREFIXES = ['/events', '/comments', '/settings', '/help'] as const;

/**
 * The health routes (docs/health.md, "API"), each with exactly its grants: readers read the
 * health table (and the volumes and hosts tables where they resolve a volume's copies); writers
 * write the health table only.
 */
export function healthRoutes(resources: HealthApiResources, tables: { volumesTable: dynamodb.ITable; hostsTable: dynamodb.ITable }): HealthRoute[] {
  const { healthTable: table, operatorPrincipalArnPrefix, triggersJson } = resources;
  const environment = { HEALTH_TABLE: table.tableName, OPERATOR_PRINCIPAL_ARN_PREFIX: operatorPrincipalArnPrefix, HEALTH_TRIGGERS: triggersJson };
  const read = (fn: BlockplaneFunction) => table.grantReadData(fn);
  const readWrite = (fn: BlockplaneFunction) => table.grantReadWriteData(fn);
  const withVolumes = (grant: (fn: BlockplaneFunction) => void) => (fn: BlockplaneFunction) => {
    grant(fn);
    tables.volumesTable.grantReadData(fn);
    tables.hostsTable.grantReadData(fn);
  };
  const route = (id: string, method: HealthRoute['method'], path: string, entry: string, description: string, grant: HealthRoute['grant']): HealthRoute => ({
    id, method, path, entry: `lambdas/api/${entry}.ts`, description, grant, environment,
  });
  return [
    route('ListHealthComponents', 'GET', '/health/components', 'list-health-components', 'Operators: every component with its level, score and reasons', read),
    route('GetHealthComponent', 'GET', '/health/components/{componentId}', 'get-health-component', 'Operators: one component with its history and open event', read),
    route('ListDeadLetters', 'GET', '/health/dead-letters', 'list-dead-letters', 'Operators: the notices whose deliveries failed for good', read),
    route('RedriveNotice', 'POST', '/health/dead-letters/redrive', 'redrive-notice', 'Operators: puts a dead-lettered notice back into the outbox', readWrite),
    route('GetVolumeHealth', 'GET', '/volumes/{volumeId}/health', 'get-volume-health', "The health of the components one of the caller's volumes uses", withVolumes(read)),
    route('PostComment', 'POST', '/comments', 'post-comment', 'Records a customer comment with its correlation to the components of its volumes', withVolumes(readWrite)),
    route('IngestComments', 'POST', '/comments/ingest', 'ingest-comments', 'Operators: records comments from other channels (email, forum) with their correlation', withVolumes(readWrite)),
    route('ListEvents', 'GET', '/events', 'list-events', "The caller's health events (own entities only) and notices", read),
    route('PutRemediationSettings', 'PUT', '/settings/remediation', 'put-remediation-settings', "Replaces the caller's remediation settings", readWrite),
    route('GetRemediationSettings', 'GET', '/settings/remediation', 'get-remediation-settings', "The caller's remediation settings", read),
    route('PutWebhook', 'PUT', '/settings/webhook', 'put-webhook', "Sets the caller's notice webhook and answers its new signing key", readWrite),
    route('SuggestHelp', 'POST', '/help/suggest', 'help-suggest', "The caller's open events matching the text typed so far", read),
    { ...route('HelpPage', 'GET', '/help', 'help-page', 'The help box page (static HTML; its calls are signed)', () => undefined), unauthenticated: true },
  ];
}
