import type { APIGatewayProxyEvent } from 'aws-lambda';
import { DynamoDbKnownIssueStore } from '../../adapters/dynamodb-known-issue-store';
import { DynamoDbReportRepository } from '../../adapters/dynamodb-report-repository';
import { DynamoDbHostRepository } from '../../adapters/dynamodb-host-repository';
import { S3ReportUploads } from '../../adapters/s3-report-uploads';
import { ForbiddenError } from '../../core/errors';
import type { ReportOwner } from '../../core/diagnostics/report';
import { createDocumentClient } from '../../adapters/dynamodb-document-client';
import { hostPrincipalArnPrefix } from './composition';
import { callerOf } from './http-request';

/** Wiring for the diagnostics functions (docs/diagnostics.md): the only place they read the environment. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

const documents = createDocumentClient();

export const reportRepository = () => new DynamoDbReportRepository(required('DIAGNOSTICS_TABLE'), documents);
export const knownIssueStore = () => new DynamoDbKnownIssueStore(required('DIAGNOSTICS_TABLE'), documents);
export const reportUploads = () => new S3ReportUploads(required('REPORTS_BUCKET'));
/** Operators: principals whose ARN starts with this (empty: nobody). */
export const operatorPrincipalArnPrefix = (): string => process.env.OPERATOR_PRINCIPAL_ARN_PREFIX ?? '';
/** The agent version this deployment ships (`agent-version-behind`). */
export const fleetAgentVersion = (): string => required('FLEET_AGENT_VERSION');

const hosts = () => (process.env.HOSTS_TABLE ? new DynamoDbHostRepository(process.env.HOSTS_TABLE, documents) : undefined);

/**
 * Who owns what the caller reads or uploads: a customer's tenant, or the host id a storage host's
 * principal registered (an unregistered host principal may not upload).
 */
export function reportOwnerResolver() {
  const hostRepository = hosts();
  return async (event: APIGatewayProxyEvent): Promise<{ owner: ReportOwner; principalArn: string; hostId?: string }> => {
    const caller = callerOf(event, hostPrincipalArnPrefix());
    if (caller.kind === 'customer') return { owner: `tenant-${caller.tenantId}`, principalArn: caller.principalArn };
    const hostId = await hostRepository?.hostIdOf(caller.principalArn);
    if (!hostId) throw new ForbiddenError('this host principal has not registered a host; register before sending reports');
    return { owner: `host-${hostId}`, principalArn: caller.principalArn, hostId };
  };
}
