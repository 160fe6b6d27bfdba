import type { APIGatewayProxyEvent } from 'aws-lambda';
import { DynamoDbAlarmStore } from '../../adapters/dynamodb-alarm-store';
import { DynamoDbAssertionStore } from '../../adapters/dynamodb-assertion-store';
import { DynamoDbComplianceReportRepository } from '../../adapters/dynamodb-compliance-report-repository';
import { createDocumentClient } from '../../adapters/dynamodb-document-client';
import { DynamoDbHostRepository } from '../../adapters/dynamodb-host-repository';
import { DynamoDbSpecStore } from '../../adapters/dynamodb-spec-store';
import { DynamoDbWaiverStore } from '../../adapters/dynamodb-waiver-store';
import { EventBridgeAlarmPublisher } from '../../adapters/eventbridge-alarm-publisher';
import { S3ComplianceReportObjects } from '../../adapters/s3-compliance-report-objects';
import { StepFunctionsReportWorkflows } from '../../adapters/step-functions-report-workflows';
import { AwsControlPlaneReader } from '../../adapters/aws-control-plane-reader';
import { requireOperator } from '../../core/diagnostics/operator';
import { ForbiddenError } from '../../core/errors';
import { hostPrincipalArnPrefix } from './composition';
import { callerOf } from './http-request';

/** Wiring for the audit functions (docs/audit.md): the only place they read the environment. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
const list = (name: string): string[] => required(name).split(',').filter(Boolean);

const documents = createDocumentClient();

export const specStore = () => new DynamoDbSpecStore(required('SPECS_TABLE'), documents);
export const assertionStore = () => new DynamoDbAssertionStore(required('ASSERTIONS_TABLE'), documents);
export const waiverStore = () => new DynamoDbWaiverStore(required('SPECS_TABLE'), documents);
export const alarmStore = () => new DynamoDbAlarmStore(required('SPECS_TABLE'), documents);
export const alarmPublisher = () => new EventBridgeAlarmPublisher();
export const complianceReports = () => new DynamoDbComplianceReportRepository(required('SPECS_TABLE'), documents);
export const reportObjects = () => new S3ComplianceReportObjects(required('REPORTS_BUCKET'));
export const reportWorkflows = () => new StepFunctionsReportWorkflows(required('RENDER_REPORT_STATE_MACHINE_ARN'));
export const controlPlaneReader = () =>
  new AwsControlPlaneReader({ volumesTable: required('VOLUMES_TABLE'), buckets: list('AUDITED_BUCKETS'), tables: list('AUDITED_TABLES'), rolePath: required('AUDITED_ROLE_PATH') }, documents);

const operatorPrefix = (): string => process.env.OPERATOR_PRINCIPAL_ARN_PREFIX ?? '';

/** The operator calling, by principal ARN (the spec's author); anyone else is refused. */
export function operatorOf(event: APIGatewayProxyEvent): string {
  const { principalArn } = callerOf(event, hostPrincipalArnPrefix());
  requireOperator(principalArn, operatorPrefix());
  return principalArn;
}

/** Storage hosts and operators read the spec; customers do not. */
export function requireHostOrOperator(event: APIGatewayProxyEvent): void {
  const caller = callerOf(event, hostPrincipalArnPrefix());
  if (caller.kind === 'host') return;
  const prefix = operatorPrefix();
  if (prefix === '' || !caller.principalArn.startsWith(prefix)) throw new ForbiddenError('only storage hosts and operators may read the spec');
}

/** The host id the calling storage host registered (a host principal that never registered may not assert). */
export function hostIdResolver() {
  const hosts = new DynamoDbHostRepository(required('HOSTS_TABLE'), documents);
  return async (event: APIGatewayProxyEvent): Promise<string> => {
    const caller = callerOf(event, hostPrincipalArnPrefix());
    if (caller.kind !== 'host') throw new ForbiddenError('only storage hosts may post assertions');
    const hostId = await hosts.hostIdOf(caller.principalArn);
    if (!hostId) throw new ForbiddenError('this host principal has not registered a host; register before asserting');
    return hostId;
  };
}
