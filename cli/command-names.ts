import type { ApiRoute } from '../contract/routes';

/**
 * Where each API route sits in the CLI: `blockplane <group> <verb>`. Routes named here get these
 * names; any other route (one added to the contract later) still gets a command, named from its
 * operation id (`CreateWidget` → `widgets create`), so every customer and operator route is
 * reachable. Routes with a hand-written command of their own (attach, detach) are listed in
 * HAND_WRITTEN and get no generated one.
 */
export const COMMAND_NAMES: Readonly<Record<string, readonly [group: string, verb: string]>> = {
  CreateVolume: ['volumes', 'create'],
  ListVolumes: ['volumes', 'list'],
  GetVolume: ['volumes', 'get'],
  DeleteVolume: ['volumes', 'delete'],
  SetVolumePolicy: ['volumes', 'set-policy'],
  ReportUtilization: ['volumes', 'report-utilization'],
  CreateModification: ['modifications', 'create'],
  ListModifications: ['modifications', 'list'],
  GetModification: ['modifications', 'get'],
  CancelModification: ['modifications', 'cancel'],
  GetAttachment: ['attachments', 'get'],
  CreateReport: ['reports', 'create'],
  ListReports: ['reports', 'list'],
  GetReport: ['reports', 'get'],
  RecordReportFeedback: ['reports', 'feedback'],
  ListReviewQueue: ['reports', 'review-queue'],
  ListKnownIssues: ['known-issues', 'list'],
  PutKnownIssue: ['known-issues', 'put'],
  GetKnownIssueOccurrences: ['known-issues', 'occurrences'],
  GetRecovery: ['recovery', 'get'],
  CreateRecoveryAccess: ['recovery', 'access'],
  DecideRecovery: ['recovery', 'decide'],
  ListVolumeEvents: ['volumes', 'events'],
  CreateSnapshot: ['snapshots', 'create'],
  ListSnapshots: ['snapshots', 'list'],
  ListVolumeSnapshots: ['snapshots', 'list-volume'],
  GetSnapshot: ['snapshots', 'get'],
  DeleteSnapshot: ['snapshots', 'delete'],
  PublishSpecChange: ['specs', 'change'],
  GetCurrentSpec: ['specs', 'current'],
  GetSpecVersion: ['specs', 'get'],
  GetSpecDiff: ['specs', 'diff'],
  PutAlarms: ['alarms', 'put'],
  GetAlarms: ['alarms', 'get'],
  GrantWaiver: ['waivers', 'grant'],
  ListWaivers: ['waivers', 'list'],
  CreateComplianceReport: ['compliance-reports', 'create'],
  GetComplianceReport: ['compliance-reports', 'get'],
  ListHealthComponents: ['health', 'components'],
  GetHealthComponent: ['health', 'component'],
  ListDeadLetters: ['health', 'dead-letters'],
  RedriveNotice: ['health', 'redrive-notice'],
  GetVolumeHealth: ['volumes', 'health'],
  PostComment: ['comments', 'post'],
  IngestComments: ['comments', 'ingest'],
  ListEvents: ['events', 'list'],
  PutRemediationSettings: ['settings', 'put-remediation'],
  GetRemediationSettings: ['settings', 'get-remediation'],
  PutWebhook: ['settings', 'put-webhook'],
  SuggestHelp: ['help-box', 'suggest'],
  GetHelpPage: ['help-box', 'page'],
};

/** What each group is about (`blockplane --help`); a group not named here is described by its name. */
export const GROUP_DESCRIPTIONS: Readonly<Record<string, string>> = {
  volumes: 'Create, list, describe, delete and wait for volumes; their auto-grow policy and utilization',
  modifications: "Change a volume's size, IOPS, type or location while attached; follow and cancel changes",
  attachments: 'Where an attachment connects now (attach and detach are top-level commands)',
  reports: 'Diagnostics reports: upload URLs, findings, feedback, the operators review queue',
  'known-issues': 'Operators: the known-issue rules reports are matched against, and their occurrences',
  snapshots: 'Incremental snapshots of volumes, stored in S3 in content-addressed chunks (docs/snapshots.md)',
  specs: 'Operators: the versioned specification every component is audited against (docs/audit.md)',
  alarms: 'Operators: when audit findings raise an alarm',
  waivers: 'Operators: clauses waived for a component until a date',
  'compliance-reports': 'Operators: compliance reports (json, csv, html) rendered to S3, fetched by presigned URL',
  health: 'Operators: the health of disks, hosts, racks and zones, with scores and reasons (docs/health.md)',
  comments: 'Tell us about a problem; operators ingest other channels',
  events: 'Health events and notices about your volumes (AWS Health shape)',
  settings: 'Your remediation settings and notice webhook',
  'help-box': 'The help box: open events matching what you type (its page is GET /help)',
  recovery: "A volume's recovery after a host failure: the classification and its proof, read-only access, the owner's decision",
};

/** Routes whose command is written by hand (cli/attach.ts): operation id → the command. */
export const HAND_WRITTEN: Readonly<Record<string, string>> = {
  AttachVolume: 'attach',
  DetachVolume: 'detach',
};

const plural = (noun: string): string => (noun.endsWith('s') ? noun : noun.endsWith('y') ? `${noun.slice(0, -1)}ies` : `${noun}s`);

/** The group and verb of a route: from COMMAND_NAMES, else from its operation id. */
export function commandNameOf(route: ApiRoute): readonly [string, string] {
  const named = COMMAND_NAMES[route.operationId];
  if (named) return named;
  const words = route.operationId.split(/(?=[A-Z])/).map((word) => word.toLowerCase());
  const [verb = 'call', ...noun] = words;
  return [plural(noun.join('-') || 'api'), verb];
}

/** The console's static files (docs/console.md): a browser's, not a command line's. */
const BROWSER_ONLY: ReadonlySet<string> = new Set(['GetConsole', 'GetConsoleFile', 'GetConsoleAsset']);

/** Routes the CLI offers: everything but the storage hosts' own (the agent calls those) and the console's files. */
export const cliRoutes = (routes: readonly ApiRoute[]): ApiRoute[] => routes.filter((route) => route.caller !== 'host' && !BROWSER_ONLY.has(route.operationId));
