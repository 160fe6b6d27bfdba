import { z } from 'zod';
import { processReport } from '../../core/diagnostics/use-cases/process-report';
import { now } from '../shared/composition';
import { fleetAgentVersion, knownIssueStore, reportRepository, reportUploads } from '../shared/report-composition';
import { taskHandler } from '../shared/task-handler';

const deps = { reports: reportRepository(), uploads: reportUploads(), issues: knownIssueStore(), now, fleetAgentVersion: fleetAgentVersion() };

/** The diagnose-report workflow's task: the object S3 reported (through EventBridge) is unpacked, parsed and diagnosed. */
export const handler = taskHandler(z.object({ key: z.string().min(1).max(1024) }), async ({ key }) => processReport(deps, key));
