import { Match, type Template } from 'aws-cdk-lib/assertions';
import { API_ROUTES } from '../../contract/routes';
import { SYNTH_TIMEOUT_MS, blockplane, quietly, resourceNamed, synthesizeBlockplane } from './synth';

/** docs/control-plane.md, "Functions": route → handler (construct id of its function). */
const ROUTES: Record<string, string> = {
  'POST /volumes': 'CreateVolume',
  'GET /volumes/{volumeId}': 'GetVolume',
  'GET /volumes': 'ListVolumes',
  'DELETE /volumes/{volumeId}': 'DeleteVolume',
  'POST /volumes/{volumeId}/attachments': 'AttachVolume',
  'GET /volumes/{volumeId}/attachments/{attachmentId}': 'GetAttachment',
  'DELETE /volumes/{volumeId}/attachments/{attachmentId}': 'DetachVolume',
  'POST /volumes/{volumeId}/modifications': 'CreateModification',
  'GET /volumes/{volumeId}/modifications': 'ListModifications',
  'GET /volumes/{volumeId}/modifications/{modificationId}': 'GetModification',
  'DELETE /volumes/{volumeId}/modifications/{modificationId}': 'CancelModification',
  'PUT /volumes/{volumeId}/policy': 'SetVolumePolicy',
  'POST /volumes/{volumeId}/utilization': 'ReportUtilization',
  'POST /hosts': 'RegisterHost',
  'POST /hosts/{hostId}/heartbeat': 'RecordHeartbeat',
  'POST /hosts/{hostId}/replica-faults': 'ReportReplicaFault',
  'GET /hosts/{hostId}/commands': 'PollCommands',
  'POST /hosts/{hostId}/commands/{commandId}/result': 'CompleteCommand',
  'POST /hosts/{hostId}/commands/{commandId}/progress': 'ReportCommandProgress',
  'POST /reports': 'CreateReport',
  'GET /reports': 'ListReports',
  'GET /reports/{reportId}': 'GetReport',
  'POST /reports/{reportId}/feedback': 'RecordReportFeedback',
  'GET /review-queue': 'ListReviewQueue',
  'GET /known-issues': 'ListKnownIssues',
  'POST /known-issues': 'PutKnownIssue',
  'POST /specs/changes': 'PublishSpecChange',
  'GET /specs/current': 'GetCurrentSpec',
  'GET /specs/{version}': 'GetSpecVersion',
  'GET /specs/{version}/diff/{other}': 'GetSpecDiff',
  'POST /assertions': 'RecordAssertions',
  'PUT /alarms': 'PutAlarms',
  'GET /alarms': 'GetAlarms',
  'POST /waivers': 'GrantWaiver',
  'GET /waivers': 'ListWaivers',
  'POST /compliance-reports': 'CreateComplianceReport',
  'GET /compliance-reports/{reportId}': 'GetComplianceReport',
  'GET /known-issues/{issueId}/occurrences': 'GetKnownIssueOccurrences',
  'POST /hosts/{hostId}/recovery-reports': 'ReportRecovery',
  'GET /volumes/{volumeId}/recovery': 'GetRecovery',
  'POST /volumes/{volumeId}/recovery-access': 'CreateRecoveryAccess',
  'POST /volumes/{volumeId}/recovery-decision': 'DecideRecovery',
  'GET /volumes/{volumeId}/events': 'ListVolumeEvents',
  'POST /volumes/{volumeId}/snapshots': 'CreateSnapshot',
  'GET /volumes/{volumeId}/snapshots': 'ListVolumeSnapshots',
  'GET /snapshots': 'ListSnapshots',
  'GET /snapshots/{snapshotId}': 'GetSnapshot',
  'DELETE /snapshots/{snapshotId}': 'DeleteSnapshot',
  'POST /hosts/{hostId}/snapshot-chunks': 'RequestSnapshotChunkUrls',
  'GET /health/components': 'ListHealthComponents',
  'GET /health/components/{componentId}': 'GetHealthComponent',
  'GET /health/dead-letters': 'ListDeadLetters',
  'POST /health/dead-letters/redrive': 'RedriveNotice',
  'GET /volumes/{volumeId}/health': 'GetVolumeHealth',
  'POST /comments': 'PostComment',
  'POST /comments/ingest': 'IngestComments',
  'GET /events': 'ListEvents',
  'PUT /settings/remediation': 'PutRemediationSettings',
  'GET /settings/remediation': 'GetRemediationSettings',
  'PUT /settings/webhook': 'PutWebhook',
  'POST /help/suggest': 'SuggestHelp',
};
/** The routes served without a signature: the help page and the console (static files; their own calls are signed). */
const UNSIGNED_ROUTES: Record<string, string> = {
  'GET /help': 'HelpPage',
  'GET /console': 'ConsoleEntry',
  'GET /console/{file}': 'ConsoleFile',
  'GET /console/assets/{file}': 'ConsoleAsset',
};

/** What every handler gets. */
const API_ENVIRONMENT = [
  'COMMANDS_TABLE',
  'CREATE_VOLUME_STATE_MACHINE_ARN',
  'DELETE_VOLUME_STATE_MACHINE_ARN',
  'HOSTS_TABLE',
  'HOST_PRINCIPAL_ARN_PREFIX',
  'NODE_OPTIONS',
  'POWERTOOLS_SERVICE_NAME',
  'VOLUMES_TABLE',
];

/**
 * What a handler gets besides: the variables of the adapters it builds when its module loads
 * (lambdas/shared/composition.ts: failoverWorkflows(), heartbeatTimeoutSeconds(), pageTokenSecret()).
 */
const QUOTA = ['TENANT_QUOTAS_TABLE', 'TENANT_REQUESTS_PER_SECOND'];
/** The diagnostics routes' adapters (lambdas/shared/report-composition.ts). */
const DIAGNOSTICS = ['DIAGNOSTICS_TABLE', 'REPORTS_BUCKET', 'OPERATOR_PRINCIPAL_ARN_PREFIX'];
/** The health routes' adapters (lambdas/shared/health-composition.ts). */
const HEALTH = ['HEALTH_TABLE', 'OPERATOR_PRINCIPAL_ARN_PREFIX', 'HEALTH_TRIGGERS'];
/** The audit routes' adapters (lambdas/shared/audit-composition.ts). */
const AUDIT = ['SPECS_TABLE', 'ASSERTIONS_TABLE', 'REPORTS_BUCKET', 'RENDER_REPORT_STATE_MACHINE_ARN', 'OPERATOR_PRINCIPAL_ARN_PREFIX'];
/** The snapshot routes' adapters (lambdas/shared/snapshot-composition.ts). */
const SNAPSHOTS = ['SNAPSHOTS_TABLE', 'SNAPSHOTS_BUCKET', 'SNAPSHOT_STATE_MACHINE_ARN', 'COLLECT_CHUNKS_STATE_MACHINE_ARN'];
/** The recovery routes' adapters (lambdas/shared/recovery-composition.ts). */
const RECOVERY = ['RECOVERY_TABLE', 'RECOVERY_QUARANTINE_SECONDS', 'RECOVERY_AUTO_ARCHIVE_SECONDS', 'RECOVERY_HOST_BATCH', 'RECOVERY_SLOT_SECONDS', 'RECOVERY_RETRY_AFTER_SECONDS', 'FAILOVER_STATE_MACHINE_ARN'];
const EXTRA_ENVIRONMENT: Record<string, string[]> = {
  ReportRecovery: RECOVERY,
  ...Object.fromEntries(['GetRecovery', 'DecideRecovery', 'ListVolumeEvents'].map((fn) => [fn, [...RECOVERY, ...QUOTA]])),
  CreateRecoveryAccess: [...RECOVERY, 'KEYS_KEY_ARN', ...QUOTA],
  ...Object.fromEntries(['CreateSnapshot', 'GetSnapshot', 'DeleteSnapshot'].map((fn) => [fn, [...SNAPSHOTS, ...QUOTA]])),
  ...Object.fromEntries(['ListSnapshots', 'ListVolumeSnapshots'].map((fn) => [fn, [...SNAPSHOTS, 'PAGE_TOKEN_SECRET_ARN', ...QUOTA]])),
  RequestSnapshotChunkUrls: SNAPSHOTS,
  ...Object.fromEntries(
    ['PublishSpecChange', 'GetCurrentSpec', 'GetSpecVersion', 'GetSpecDiff', 'RecordAssertions', 'PutAlarms', 'GetAlarms', 'GrantWaiver', 'ListWaivers', 'CreateComplianceReport', 'GetComplianceReport'].map(
      (fn) => [fn, AUDIT],
    ),
  ),
  ...Object.fromEntries(['GetVolumeHealth', 'PostComment', 'IngestComments', 'ListEvents', 'PutRemediationSettings', 'GetRemediationSettings', 'PutWebhook', 'SuggestHelp'].map((fn) => [fn, [...HEALTH, ...QUOTA]])),
  ...Object.fromEntries(['ListHealthComponents', 'GetHealthComponent', 'ListDeadLetters', 'RedriveNotice', 'HelpPage'].map((fn) => [fn, HEALTH])),
  ...Object.fromEntries(['ConsoleEntry', 'ConsoleFile', 'ConsoleAsset'].map((fn) => [fn, ['CONSOLE_BUCKET']])),
  ...Object.fromEntries(['CreateReport', 'ListReports', 'GetReport', 'RecordReportFeedback'].map((fn) => [fn, [...DIAGNOSTICS, ...QUOTA]])),
  ...Object.fromEntries(['ListReviewQueue', 'ListKnownIssues', 'PutKnownIssue', 'GetKnownIssueOccurrences'].map((fn) => [fn, DIAGNOSTICS])),
  // POST /volumes with snapshotId reads the snapshot record.
  CreateVolume: ['SNAPSHOTS_TABLE', ...QUOTA],
  GetVolume: QUOTA,
  ListVolumes: ['PAGE_TOKEN_SECRET_ARN', ...QUOTA],
  DeleteVolume: QUOTA,
  AttachVolume: ['KEYS_KEY_ARN', ...QUOTA],
  GetAttachment: ['KEYS_KEY_ARN', ...QUOTA],
  DetachVolume: QUOTA,
  CreateModification: ['MODIFY_VOLUME_STATE_MACHINE_ARN', ...QUOTA],
  ListModifications: ['PAGE_TOKEN_SECRET_ARN', ...QUOTA],
  GetModification: QUOTA,
  CancelModification: QUOTA,
  SetVolumePolicy: QUOTA,
  ReportUtilization: QUOTA,
  RegisterHost: ['FAILOVER_STATE_MACHINE_ARN', 'STORAGE_NETWORK_CIDR'],
  RecordHeartbeat: ['FAILOVER_STATE_MACHINE_ARN'],
  ReportReplicaFault: ['FAILOVER_STATE_MACHINE_ARN'],
  PollCommands: ['KEYS_KEY_ARN', 'RECOVERY_TABLE'],
};

/** The execute-api resource of each host route (docs/host-commands.md), after `<api id>/v1/`. */
const HOST_ROUTE_RESOURCES = [
  'POST/hosts', 'POST/hosts/*/heartbeat', 'GET/hosts/*/commands', 'POST/hosts/*/commands/*/result', 'POST/hosts/*/replica-faults', 'POST/hosts/*/commands/*/progress',
  // A host uploads its own diagnostic reports (collect-report) and reads them.
  'POST/reports', 'GET/reports/*',
  // A host in recovery reports its copies (docs/recovery.md).
  'POST/hosts/*/recovery-reports',
  'POST/hosts/*/snapshot-chunks',
  'GET/specs/*', 'POST/assertions',
];

const hostRoleId = (template: Template) => resourceNamed(template, 'AWS::IAM::Role', 'StorageHostRole').id;

let api: Template;
let workflowsTemplate: Template;
beforeAll(() => {
  ({ api, workflows: workflowsTemplate } = blockplane());
}, SYNTH_TIMEOUT_MS);

interface RouteMethod {
  readonly properties: any;
  /** Logical id of the function the method integrates with. */
  readonly functionId: string;
}

/** Every method of the REST API by `VERB /path`, its path rebuilt from the resource tree. */
function methodsByRoute(template: Template): Record<string, RouteMethod> {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (ref: any): string => {
    if (ref['Fn::GetAtt']?.[1] === 'RootResourceId') return '';
    const resource = resources[ref.Ref];
    return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
  };
  const routes: Record<string, RouteMethod> = {};
  for (const method of Object.values(template.findResources('AWS::ApiGateway::Method')) as any[]) {
    const route = `${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId) || '/'}`;
    const getAtt = JSON.stringify(method.Properties.Integration?.Uri).match(/"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]/);
    routes[route] = { properties: method.Properties, functionId: getAtt?.[1] ?? '(none)' };
  }
  return routes;
}

describe('BlockplaneApi routes', () => {
  test('when the API is synthesized, it has exactly the contract routes', () => {
    // Act
    const routes = Object.keys(methodsByRoute(api));

    // Assess
    expect(routes.sort()).toEqual([...Object.keys(ROUTES), ...Object.keys(UNSIGNED_ROUTES)].sort());
  });

  test('when GET /help is called, API Gateway serves the static help page without a signature', () => {
    // Act
    const method = methodsByRoute(api)['GET /help'];

    // Assess
    expect(method.properties.AuthorizationType).toBe('NONE');
    expect(method.functionId).toBe(resourceNamed(api, 'AWS::Lambda::Function', 'HelpPageFunction').id);
  });

  test('when the API is synthesized, the OpenAPI contract (contract/routes.ts) describes exactly its routes', () => {
    // Act
    const routes = Object.keys(methodsByRoute(api));

    // Assess
    expect(API_ROUTES.map((route) => `${route.method.toUpperCase()} ${route.path}`).sort()).toEqual(routes.sort());
  });

  test.each(Object.entries(ROUTES))('when %s is called, API Gateway requires SigV4 (AWS_IAM) and proxies to %s', (route, handler) => {
    // Act
    const method = methodsByRoute(api)[route];

    // Assess
    expect(method.properties.AuthorizationType).toBe('AWS_IAM');
    expect(method.properties.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
    expect(method.functionId).toBe(resourceNamed(api, 'AWS::Lambda::Function', `${handler}Function`).id);
  });

  test.each(Object.keys(ROUTES).filter((route) => route.includes('{')))(
    'when %s is synthesized, the request validator requires its path parameters',
    (route) => {
      // Prepare
      const validator = resourceNamed(api, 'AWS::ApiGateway::RequestValidator', 'RestApiRequestValidator');

      // Act
      const method = methodsByRoute(api)[route];

      // Assess
      const names = [...route.matchAll(/\{([^}]+)\}/g)].map((match) => `method.request.path.${match[1]}`);
      expect(method.properties.RequestParameters).toEqual(Object.fromEntries(names.map((name) => [name, true])));
      expect(method.properties.RequestValidatorId).toEqual({ Ref: validator.id });
    },
  );
});

describe('BlockplaneApi handlers', () => {
  test.each([...Object.values(ROUTES), ...Object.values(UNSIGNED_ROUTES)])(
    'when %s is synthesized, it gets the table names, state machine ARNs and host principal prefix, and those its adapters need',
    (handler) => {
      // Act
      const { Properties } = resourceNamed(api, 'AWS::Lambda::Function', `${handler}Function`).resource;

      // Assess
      expect(Object.keys(Properties.Environment.Variables).sort()).toEqual([...API_ENVIRONMENT, ...(EXTRA_ENVIRONMENT[handler] ?? [])].sort());
      expect(Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
    },
  );

  test.each(['RegisterHost', 'RecordHeartbeat'])('when %s is synthesized, it gets the fail-over state machine ARN', (handler) => {
    // Act
    const { Properties } = resourceNamed(api, 'AWS::Lambda::Function', `${handler}Function`).resource;

    // Assess
    expect(Properties.Environment.Variables.FAILOVER_STATE_MACHINE_ARN).toEqual({
      'Fn::ImportValue': expect.stringMatching(/^BlockplaneWorkflows:ExportsOutputRefFailoverStateMachine/),
    });
  });

  test('when no heartbeat timeout is in the context, the scheduled sweep loses a host after 30 s of silence (heartbeats judge nobody)', () => {
    // Act
    const { Properties } = resourceNamed(workflowsTemplate, 'AWS::Lambda::Function', 'SweepSilentHostsFunction').resource;

    // Assess
    expect(Properties.Environment.Variables.HOST_HEARTBEAT_TIMEOUT_SECONDS).toBe('30');
    expect(resourceNamed(api, 'AWS::Lambda::Function', 'RecordHeartbeatFunction').resource.Properties.Environment.Variables).not.toHaveProperty(
      'HOST_HEARTBEAT_TIMEOUT_SECONDS',
    );
  });

  test('when PollCommands is synthesized, it may run past the 20 s long poll but stops before API Gateway gives up at 29 s', () => {
    // Act
    const { Timeout } = resourceNamed(api, 'AWS::Lambda::Function', 'PollCommandsFunction').resource.Properties;

    // Assess
    expect(Timeout).toBeGreaterThan(25);
    expect(Timeout).toBeLessThan(29);
  });

  test('when no host principal prefix is in the context, hosts are the sessions of the storage-host role', () => {
    // Act
    const { Properties } = resourceNamed(api, 'AWS::Lambda::Function', 'RegisterHostFunction').resource;

    // Assess
    expect(Properties.Environment.Variables.HOST_PRINCIPAL_ARN_PREFIX).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sts::', { Ref: 'AWS::AccountId' }, ':assumed-role/', { Ref: hostRoleId(api) }, '/']],
    });
  });

  test(
    'when hostPrincipalArnPrefix and hostHeartbeatTimeoutSeconds are in the context (as the local cloud deploys), the handlers get them',
    () => {
      // Prepare
      const prefix = 'arn:aws:iam::000000000000:user/blockplane-hosts/';

      // Act
      const { api: template, workflows: workflowsWithContext } = synthesizeBlockplane({ context: { hostPrincipalArnPrefix: prefix, hostHeartbeatTimeoutSeconds: '6' } });

      // Assess
      for (const handler of Object.values(ROUTES)) {
        const { Properties } = resourceNamed(template, 'AWS::Lambda::Function', `${handler}Function`).resource;
        expect(Properties.Environment.Variables.HOST_PRINCIPAL_ARN_PREFIX).toBe(prefix);
      }
      const sweep = resourceNamed(workflowsWithContext, 'AWS::Lambda::Function', 'SweepSilentHostsFunction').resource;
      expect(sweep.Properties.Environment.Variables.HOST_HEARTBEAT_TIMEOUT_SECONDS).toBe('6');
    },
    SYNTH_TIMEOUT_MS,
  );

  test.each(['soon', '0', '2.5'])('when hostHeartbeatTimeoutSeconds is %p, it refuses to build and names the allowed values', (value) => {
    // Act
    const build = () => quietly(() => synthesizeBlockplane({ context: { hostHeartbeatTimeoutSeconds: value } }));

    // Assess
    expect(build).toThrow(/hostHeartbeatTimeoutSeconds must be a whole number of seconds, at least 1; received/);
  });

  test.each(['', 'arn:aws:iam::000000000000:user/blockplane-hosts', 'blockplane-hosts/'])(
    'when hostPrincipalArnPrefix is %p, it refuses to build rather than misjudge who is a host',
    (value) => {
      // Act
      const build = () => quietly(() => synthesizeBlockplane({ context: { hostPrincipalArnPrefix: value } }));

      // Assess
      expect(build).toThrow(/hostPrincipalArnPrefix must be an IAM or STS principal ARN prefix ending in '\/'/);
    },
  );
});

describe('BlockplaneApi storage-host role', () => {
  test('when the API is synthesized, the storage-host role trusts only EC2 and has no managed policy', () => {
    // Act
    const role = resourceNamed(api, 'AWS::IAM::Role', 'StorageHostRole').resource;

    // Assess
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' } },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.RoleName).toBeUndefined();
  });

  test('when the API is synthesized, the storage-host role may invoke exactly the host routes of the v1 stage (six, the two report routes, the recovery report and the snapshot-chunks route) and nothing else', () => {
    // Prepare
    const restApi = resourceNamed(api, 'AWS::ApiGateway::RestApi', 'RestApi').id;
    const routeArn = (resource: string) => ({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':', { Ref: restApi }, `/v1/${resource}`],
      ],
    });

    // Act
    const statements = Object.values(api.findResources('AWS::IAM::Policy'))
      .filter((policy: any) => policy.Properties.Roles.some((ref: any) => ref.Ref === hostRoleId(api)))
      .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);

    // Assess
    expect(statements).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: HOST_ROUTE_RESOURCES.map(routeArn) }]);
  });
});

describe('BlockplaneApi stage', () => {
  test('when the API is deployed, its v1 stage writes JSON access logs, logs errors, traces, throttles each customer route by default and each host route on its own budget', () => {
    // Prepare
    const accessLogs = resourceNamed(api, 'AWS::Logs::LogGroup', 'AccessLogs');

    // Act
    const { Properties } = resourceNamed(api, 'AWS::ApiGateway::Stage', 'RestApiDeploymentStagev1').resource;

    // Assess
    expect(Properties.StageName).toBe('v1');
    expect(Properties.AccessLogSetting.DestinationArn).toEqual({ 'Fn::GetAtt': [accessLogs.id, 'Arn'] });
    expect(JSON.parse(Properties.AccessLogSetting.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(Properties.TracingEnabled).toBe(true);
    expect(Properties.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
        ThrottlingRateLimit: 100,
        ThrottlingBurstLimit: 200,
      }),
      ...['POST /~1hosts', 'POST /~1hosts~1{hostId}~1heartbeat', 'GET /~1hosts~1{hostId}~1commands', 'POST /~1hosts~1{hostId}~1commands~1{commandId}~1result', 'POST /~1hosts~1{hostId}~1replica-faults', 'POST /~1hosts~1{hostId}~1commands~1{commandId}~1progress', 'POST /~1hosts~1{hostId}~1recovery-reports', 'POST /~1hosts~1{hostId}~1snapshot-chunks'].map((route) =>
        expect.objectContaining({
          HttpMethod: route.split(' ')[0],
          ResourcePath: route.split(' ')[1],
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: 500,
          ThrottlingBurstLimit: 1000,
        }),
      ),
    ]);
    expect(accessLogs.resource.Properties.RetentionInDays).toBe(30);
  });

  test.each(['DEFAULT_4XX', 'DEFAULT_5XX'])(
    'when API Gateway itself answers with %s, the body has the {code, message, details} shape',
    (type) => {
      // Act
      const responses = api.findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: type } });

      // Assess
      const [response] = Object.values(responses) as any[];
      const template: string = response.Properties.ResponseTemplates['application/json'];
      const rendered = JSON.parse(template.replace('$context.error.messageString', '"Missing Authentication Token"'));
      expect(rendered).toEqual({
        code: '$context.error.responseType',
        message: 'Missing Authentication Token',
        details: { requestId: '$context.requestId' },
      });
    },
  );

  test('when the stack is synthesized, it outputs ApiId, ApiStage and ApiUrl', () => {
    // Prepare
    const restApi = resourceNamed(api, 'AWS::ApiGateway::RestApi', 'RestApi').id;

    // Act
    const outputs = api.findOutputs('*');

    // Assess
    expect(outputs.ApiId.Value).toEqual({ Ref: restApi });
    expect(outputs.ApiStage.Value).toEqual({ Ref: resourceNamed(api, 'AWS::ApiGateway::Stage', 'RestApiDeploymentStagev1').id });
    expect(JSON.stringify(outputs.ApiUrl.Value)).toContain(restApi);
    api.hasOutput('ApiUrl', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
  });

  test('when the stack is synthesized, an hourly EventBridge rule invokes the function that purges finished host commands', () => {
    // Act
    const purge = resourceNamed(api, 'AWS::Lambda::Function', 'CommandPurgePurgeFinishedCommands');
    const rule = resourceNamed(api, 'AWS::Events::Rule', 'CommandPurgeSchedule');

    // Assess
    expect(rule.resource.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(JSON.stringify(rule.resource.Properties.Targets)).toContain(purge.id);
    expect(Object.keys(purge.resource.Properties.Environment.Variables).sort()).toEqual(['COMMANDS_TABLE', 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME']);
    expect(api.findOutputs('PurgeFinishedCommandsFunctionName').PurgeFinishedCommandsFunctionName.Value).toEqual({ Ref: purge.id });
  });
});
