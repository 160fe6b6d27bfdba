import { TooManyRequestsError } from '../../errors';
import { retryOnVersionConflict } from '../../version-conflict-retry';
import { authorizeHost } from '../../use-cases/authorize-host';
import type { RecoveryReportRequest } from '../recovery-report';
import { classifyReturningCopy, type CopyAnswer } from './classify-returning-copy';
import type { RecoveryReportDeps } from './recovery-deps';

export interface RecoveryReportAnswer {
  readonly hostId: string;
  readonly copies: readonly CopyAnswer[];
}

/**
 * `POST /hosts/{hostId}/recovery-reports`: a host in recovery reports a page of its copies. Only
 * a batch of hosts is answered at a time (429 with Retry-After for the others, who keep
 * reporting); an answered host keeps its place until its final page. Each copy is classified and
 * its verdict stored with the proof (classify-returning-copy.ts).
 */
export async function recordRecoveryReport(deps: RecoveryReportDeps, principalArn: string, hostId: string, report: RecoveryReportRequest): Promise<RecoveryReportAnswer> {
  await authorizeHost(deps.hosts, principalArn, hostId);
  const admission = await deps.batch.admit(hostId, deps.now());
  if (!admission.admitted) {
    throw new TooManyRequestsError(
      `${admission.inFlight} hosts are being recovered; report again in ${admission.retryAfterSeconds} s`,
      admission.retryAfterSeconds,
      { inFlight: admission.inFlight, batch: deps.policy.hostBatch },
    );
  }
  const reporting = await deps.batch.holders(deps.now());
  const copies: CopyAnswer[] = [];
  for (const copy of report.copies) {
    copies.push(await retryOnVersionConflict(() => classifyReturningCopy(deps, hostId, copy, report.trigger, reporting)));
  }
  if (report.final) await deps.batch.release(hostId);
  return { hostId, copies };
}
