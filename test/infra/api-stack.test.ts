import { Match, type Template } from 'aws-cdk-lib/assertions';
import { SYNTH_TIMEOUT_MS, blockplane, resourceNamed, synthesizeBlockplane } from './synth';

/** docs/control-plane.md, "Functions": route → handler (construct id of its function). */
const ROUTES: Record<string, string> = {
  'POST /volumes': 'CreateVolume',
  'GET /volumes/{volumeId}': 'GetVolume',
  'GET /volumes': 'ListVolumes',
  'DELETE /volumes/{volumeId}': 'DeleteVolume',
  'POST /hosts': 'RegisterHost',
  'POST /hosts/{hostId}/heartbeat': 'RecordHeartbeat',
  'GET /hosts/{hostId}/commands': 'PollCommands',
  'POST /hosts/{hostId}/commands/{commandId}/result': 'CompleteCommand',
};

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

let api: Template;
beforeAll(() => {
  api = blockplane().api;
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
    expect(routes.sort()).toEqual(Object.keys(ROUTES).sort());
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
  test.each(Object.values(ROUTES))(
    'when %s is synthesized, it gets the table names, state machine ARNs and host principal prefix',
    (handler) => {
      // Act
      const { Properties } = resourceNamed(api, 'AWS::Lambda::Function', `${handler}Function`).resource;

      // Assess
      expect(Object.keys(Properties.Environment.Variables).sort()).toEqual(API_ENVIRONMENT);
      expect(Properties).toMatchObject({ Runtime: 'nodejs20.x', Architectures: ['arm64'], Handler: 'index.handler' });
    },
  );

  test('when PollCommands is synthesized, it may run past the 20 s long poll but stops before API Gateway gives up at 29 s', () => {
    // Act
    const { Timeout } = resourceNamed(api, 'AWS::Lambda::Function', 'PollCommandsFunction').resource.Properties;

    // Assess
    expect(Timeout).toBeGreaterThan(25);
    expect(Timeout).toBeLessThan(29);
  });

  test('when no host principal prefix is in the context, hosts are the IAM users under /blockplane-hosts/ of the account', () => {
    // Act
    const { Properties } = resourceNamed(api, 'AWS::Lambda::Function', 'RegisterHostFunction').resource;

    // Assess
    expect(Properties.Environment.Variables.HOST_PRINCIPAL_ARN_PREFIX).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':user/blockplane-hosts/']],
    });
  });

  test(
    'when hostPrincipalArnPrefix is in the context, every handler gets it as HOST_PRINCIPAL_ARN_PREFIX',
    () => {
      // Prepare
      const prefix = 'arn:aws:sts::123456789012:assumed-role/BlockplaneHost/';

      // Act
      const { api: template } = synthesizeBlockplane({ context: { hostPrincipalArnPrefix: prefix } });

      // Assess
      for (const handler of Object.values(ROUTES)) {
        const { Properties } = resourceNamed(template, 'AWS::Lambda::Function', `${handler}Function`).resource;
        expect(Properties.Environment.Variables.HOST_PRINCIPAL_ARN_PREFIX).toBe(prefix);
      }
    },
    SYNTH_TIMEOUT_MS,
  );
});

describe('BlockplaneApi stage', () => {
  test('when the API is deployed, its v1 stage writes JSON access logs, logs errors, traces and throttles by default', () => {
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
});
