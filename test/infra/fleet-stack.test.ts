/**
 * BlockplaneFleet: the EC2 storage hosts. The app is synthesized with context `fleet=true`
 * (without the agent, which the default build does not have yet, and once with stand-in agent
 * files); prop variations use a FleetStack of their own next to a stand-in host role.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { DEFAULT_AGENT_FILES, FleetStack, RACK_PLACEMENT_GROUP_TAG, type FleetStackProps } from '../../lib/fleet-stack';
import { REPO_ROOT } from '../../lib/repo-paths';
import { CDK_JSON_CONTEXT, SYNTH_TIMEOUT_MS, type SynthesizedBlockplane, quietly, resourceNamed, synthesizeBlockplane, withOutdir } from './synth';

/** The execute-api resources the host role may invoke, after `<api id>/v1/`. */
const HOST_ROUTE_RESOURCES = [
  'POST/hosts', 'POST/hosts/*/heartbeat', 'GET/hosts/*/commands', 'POST/hosts/*/commands/*/result', 'POST/hosts/*/replica-faults', 'POST/hosts/*/commands/*/progress',
  'POST/reports', 'GET/reports/*',
  'POST/hosts/*/recovery-reports',
  'POST/hosts/*/snapshot-chunks',
  'GET/specs/*', 'POST/assertions',
];

const STAND_IN_API = { apiId: 'abc123', apiStage: 'v1', apiUrl: 'https://abc123.execute-api.us-east-1.amazonaws.com/v1/' };

let synthesized: SynthesizedBlockplane;
let fleet: Template;
let agentDir: string;
let withAgent: SynthesizedBlockplane;
beforeAll(() => {
  synthesized = synthesizeBlockplane({ context: { fleet: true }, props: { fleet: { agent: false } } });
  fleet = synthesized.fleet as Template;
  agentDir = fs.mkdtempSync(path.join(os.tmpdir(), 'blockplane-agent-'));
  fs.writeFileSync(path.join(agentDir, 'blockplane-agent.js'), 'console.log("stand-in agent");\n');
  fs.writeFileSync(path.join(agentDir, 'blockplane-agent.service'), '[Service]\nExecStart=/usr/local/bin/node /opt/blockplane/blockplane-agent.js\n');
  withAgent = synthesizeBlockplane({
    context: { fleet: true },
    props: {
      fleet: {
        agent: { bundle: path.join(agentDir, 'blockplane-agent.js'), systemdUnit: path.join(agentDir, 'blockplane-agent.service') },
      },
    },
  });
}, SYNTH_TIMEOUT_MS);
afterAll(() => fs.rmSync(agentDir, { recursive: true, force: true }));

/** A FleetStack with these props next to a stand-in host role, synthesized on its own. */
function synthesizeFleet(props: Partial<FleetStackProps> = {}): { template: Template; stack: FleetStack } {
  return withOutdir((outdir) => {
    const app = new App({ outdir, context: CDK_JSON_CONTEXT });
    const identity = new Stack(app, 'Identity');
    const hostRole = new iam.Role(identity, 'HostRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const stack = new FleetStack(app, 'Fleet', { agent: false, ...props, hostRole, api: STAND_IN_API });
    return { template: quietly(() => Template.fromStack(stack)), stack };
  });
}

/** The user data script, with CloudFormation references written as JSON. */
function userDataOf(template: Template): string {
  const { Properties } = resourceNamed(template, 'AWS::EC2::LaunchTemplate', 'HostLaunchTemplate').resource;
  const [, parts] = Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'];
  return parts.map((part: unknown) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
}

function launchTemplateData(template: Template): any {
  return resourceNamed(template, 'AWS::EC2::LaunchTemplate', 'HostLaunchTemplate').resource.Properties.LaunchTemplateData;
}

/** Every policy statement attached to the storage-host role, in the Api and Fleet templates. */
function hostRoleStatements(of: SynthesizedBlockplane): any[] {
  const roleId = resourceNamed(of.api, 'AWS::IAM::Role', 'StorageHostRole').id;
  const inApi = Object.values(of.api.findResources('AWS::IAM::Policy')).filter((policy: any) =>
    policy.Properties.Roles.some((ref: any) => ref.Ref === roleId),
  );
  const inFleet = Object.values((of.fleet as Template).findResources('AWS::IAM::Policy')).filter((policy: any) =>
    JSON.stringify(policy.Properties.Roles).includes(`ExportsOutputRef${roleId}`),
  );
  return [...inApi, ...inFleet].flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

/** The cdk-nag rules acknowledged on `root` and below (CDK's own CloudFormation-Validate acknowledgements left out). */
function acknowledgedRules(root: IConstruct): string[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>)
          .map(([id, reason]) => ({ id: id.replace(/^annotation::/i, ''), reason }))
          .filter(({ id }) => id.startsWith('AwsSolutions-'))
          .map(({ id, reason }) => {
            expect(reason.length).toBeGreaterThan(60);
            return `${construct.node.path}: ${id}`;
          }),
      ),
  );
}

describe('BlockplaneFleet host role', () => {
  test('when the fleet has no agent, the host role may do nothing but execute-api:Invoke on the host routes of the v1 stage', () => {
    // Prepare
    const restApi = resourceNamed(synthesized.api, 'AWS::ApiGateway::RestApi', 'RestApi').id;
    const routeArn = (resource: string) => ({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':', { Ref: restApi }, `/v1/${resource}`],
      ],
    });

    // Act
    const statements = hostRoleStatements(synthesized);

    // Assess
    expect(statements).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: HOST_ROUTE_RESOURCES.map(routeArn) }]);
    expect(resourceNamed(synthesized.api, 'AWS::IAM::Role', 'StorageHostRole').resource.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('when the fleet installs the agent, the host role may also read exactly the two agent objects, and nothing with a wildcard', () => {
    // Act
    const statements = hostRoleStatements(withAgent);

    // Assess
    expect(statements.map((statement) => statement.Action)).toEqual(['execute-api:Invoke', 's3:GetObject']);
    const read = statements[1];
    expect(read.Resource).toHaveLength(2);
    for (const resource of read.Resource) {
      const text = JSON.stringify(resource);
      expect(text).toMatch(/cdk-hnb659fds-assets-/);
      expect(text).toMatch(/\/[0-9a-f]{64}\.(js|service)"/);
      expect(text).not.toContain('*');
    }
    for (const statement of statements) expect(statement.Effect).toBe('Allow');
    expect(statements.flatMap((statement) => [statement.Action].flat()).filter((action: string) => action.includes('*'))).toEqual([]);
  });

  test('when the fleet is synthesized, the instances run as the API stack\'s storage-host role through an instance profile', () => {
    // Prepare
    const roleId = resourceNamed(synthesized.api, 'AWS::IAM::Role', 'StorageHostRole').id;

    // Act
    const profile = resourceNamed(fleet, 'AWS::IAM::InstanceProfile', 'HostLaunchTemplateProfile');

    // Assess
    expect(profile.resource.Properties.Roles).toEqual([{ 'Fn::ImportValue': expect.stringContaining(`ExportsOutputRef${roleId}`) }]);
    expect(launchTemplateData(fleet).IamInstanceProfile).toEqual({ Arn: { 'Fn::GetAtt': [profile.id, 'Arn'] } });
    expect(Object.keys(fleet.findResources('AWS::IAM::Role')).sort()).toEqual([expect.stringMatching(/^HostProbeRole/), expect.stringMatching(/^VpcAllIAMRole/)]);
  });
});

describe('BlockplaneFleet host probe', () => {
  test("when the fleet is synthesized, the health evaluator's probe runs in the hosts' private subnets, may open only their NBD ports in the VPC, and holds no other right", () => {
    // Prepare
    const probeGroup = resourceNamed(fleet, 'AWS::EC2::SecurityGroup', 'HostProbeSecurityGroup');
    const role = resourceNamed(fleet, 'AWS::IAM::Role', 'HostProbeRole').id;
    const privateSubnets = Object.entries(fleet.findResources('AWS::EC2::Subnet'))
      .filter(([, subnet]) => (subnet.Properties.Tags as { Key: string; Value: string }[]).some((tag) => tag.Key === 'aws-cdk:subnet-type' && tag.Value === 'Private'))
      .map(([id]) => ({ Ref: id }));

    // Act
    const fn = resourceNamed(fleet, 'AWS::Lambda::Function', 'HostProbe').resource;
    const policies = Object.values(fleet.findResources('AWS::IAM::Policy')).filter((policy) => JSON.stringify(policy.Properties.Roles).includes(role));
    const actions = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement.flatMap((statement: { Action: string | string[] }) => statement.Action)).sort();

    // Assess
    expect(fn.Properties.FunctionName).toBe('blockplane-host-probe');
    expect(fn.Properties.VpcConfig).toEqual({ SecurityGroupIds: [{ 'Fn::GetAtt': [probeGroup.id, 'GroupId'] }], SubnetIds: privateSubnets });
    expect(privateSubnets).toHaveLength(2);
    expect(probeGroup.resource.Properties.SecurityGroupIngress).toBeUndefined();
    expect(probeGroup.resource.Properties.SecurityGroupEgress).toEqual([{ CidrIp: '10.0.0.0/16', IpProtocol: 'tcp', FromPort: 10800, ToPort: 10999, Description: expect.any(String) }]);
    expect(actions).toEqual([
      'ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:UnassignPrivateIpAddresses',
      'logs:CreateLogStream', 'logs:PutLogEvents',
    ]);
    expect(fn.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^HostProbeNetworkInterfaces/)]));
  });

  test('when the app deploys a fleet, the health evaluator invokes exactly that probe by name; without one it probes from its own network', () => {
    // Prepare
    const evaluator = (template: Template) => resourceNamed(template, 'AWS::Lambda::Function', 'EvaluateHealth').resource;
    const invokes = (template: Template) =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
        .filter((statement: { Action: string | string[] }) => [statement.Action].flat().includes('lambda:InvokeFunction'));

    // Act
    const without = synthesizeBlockplane({});

    // Assess
    expect(evaluator(synthesized.byStack.BlockplaneHealth).Properties.Environment.Variables.HOST_PROBE_FUNCTION_NAME).toBe('blockplane-host-probe');
    expect(invokes(synthesized.byStack.BlockplaneHealth)).toEqual([
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':function:blockplane-host-probe']] } },
    ]);
    expect(evaluator(without.byStack.BlockplaneHealth).Properties.Environment.Variables.HOST_PROBE_FUNCTION_NAME).toBeUndefined();
    expect(invokes(without.byStack.BlockplaneHealth)).toEqual([]);
  });
});

describe('BlockplaneFleet network', () => {
  test('when the fleet is synthesized, the hosts\' only inbound rule is the NBD ports 10800-10999 from the VPC CIDR', () => {
    // Prepare
    const vpc = resourceNamed(fleet, 'AWS::EC2::VPC', 'Vpc').resource;

    // Act
    const groups = [resourceNamed(fleet, 'AWS::EC2::SecurityGroup', 'HostSecurityGroup').resource] as any[];

    // Assess
    expect(Object.keys(fleet.findResources('AWS::EC2::SecurityGroup'))).toHaveLength(2);
    expect(groups[0].Properties.SecurityGroupIngress).toEqual([
      { CidrIp: vpc.Properties.CidrBlock, IpProtocol: 'tcp', FromPort: 10800, ToPort: 10999, Description: expect.any(String) },
    ]);
    expect(vpc.Properties.CidrBlock).toBe('10.0.0.0/16');
    expect(fleet.findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
    expect(launchTemplateData(fleet).SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [resourceNamed(fleet, 'AWS::EC2::SecurityGroup', 'HostSecurityGroup').id, 'GroupId'] }]);
  });

  test('when nbdPorts is given, the rule opens that range instead', () => {
    // Act
    const { template } = synthesizeFleet({ nbdPorts: { from: 20000, to: 20099 } });

    // Assess
    const [group] = Object.values(template.findResources('AWS::EC2::SecurityGroup')) as any[];
    expect(group.Properties.SecurityGroupIngress).toEqual([expect.objectContaining({ FromPort: 20000, ToPort: 20099, CidrIp: '10.0.0.0/16' })]);
    expect(userDataOf(template)).toContain('\nBLOCKPLANE_NBD_PORTS=20000-20099\n');
  });

  test('when the fleet is synthesized, each Availability Zone gets a fixed group of three hosts in its private subnet, never replaced on update', () => {
    // Prepare
    const privateSubnets = Object.keys(fleet.findResources('AWS::EC2::Subnet')).filter((id) => id.startsWith('VpcHostsSubnet'));

    // Act
    const groups = Object.values(fleet.findResources('AWS::AutoScaling::AutoScalingGroup')) as any[];

    // Assess
    expect(groups).toHaveLength(privateSubnets.length);
    expect(groups.map((group) => group.Properties.VPCZoneIdentifier).sort((a, b) => a[0].Ref.localeCompare(b[0].Ref))).toEqual(
      privateSubnets.sort().map((id) => [{ Ref: id }]),
    );
    for (const group of groups) {
      expect(group.Properties).toMatchObject({ MinSize: '3', MaxSize: '3' });
      expect(group.UpdatePolicy?.AutoScalingRollingUpdate).toBeUndefined();
      expect(group.UpdatePolicy?.AutoScalingReplacingUpdate).toBeUndefined();
    }
  });

  test('when the fleet is synthesized, every private subnet routes out through a NAT gateway of its own zone and the VPC logs its flows', () => {
    // Act
    const natGateways = Object.keys(fleet.findResources('AWS::EC2::NatGateway'));
    const flowLogs = Object.values(fleet.findResources('AWS::EC2::FlowLog')) as any[];

    // Assess
    expect(natGateways).toHaveLength(Object.keys(fleet.findResources('AWS::AutoScaling::AutoScalingGroup')).length);
    expect(flowLogs).toEqual([expect.objectContaining({ Properties: expect.objectContaining({ TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' }) })]);
  });
});

describe('BlockplaneFleet instances', () => {
  test('when the fleet is synthesized, every EBS volume (root and two data volumes) is gp3 and encrypted, deleted with the instance', () => {
    // Act
    const { BlockDeviceMappings } = launchTemplateData(fleet);

    // Assess
    expect(BlockDeviceMappings.map((mapping: any) => mapping.DeviceName)).toEqual(['/dev/sda1', '/dev/sdf', '/dev/sdg']);
    for (const mapping of BlockDeviceMappings) {
      expect(mapping.Ebs).toMatchObject({ VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true });
    }
    for (const data of BlockDeviceMappings.slice(1)) {
      expect(data.Ebs).toMatchObject({ VolumeSize: 500, Iops: 3000, Throughput: 125 });
    }
  });

  test('when the data volumes are configured, each host gets that many volumes of that size, IOPS and throughput', () => {
    // Act
    const { template } = synthesizeFleet({ dataVolumesPerHost: 3, dataVolumeSizeGiB: 200, dataVolumeIops: 6000, dataVolumeThroughputMiBps: 250 });

    // Assess
    const data = launchTemplateData(template).BlockDeviceMappings.slice(1);
    expect(data.map((mapping: any) => mapping.DeviceName)).toEqual(['/dev/sdf', '/dev/sdg', '/dev/sdh']);
    for (const mapping of data) {
      expect(mapping.Ebs).toEqual({ VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true, VolumeSize: 200, Iops: 6000, Throughput: 250 });
    }
    expect(userDataOf(template)).toContain(':ssd:6000');
  });

  test.each([
    [{ dataVolumeIops: 2000 }, /dataVolumeIops must be a whole number from 3000 to 16000; received 2000/],
    [{ dataVolumeSizeGiB: 10, dataVolumeIops: 6000 }, /dataVolumeIops must be a whole number from 3000 to 5000; received 6000/],
    [{ dataVolumeThroughputMiBps: 1000 }, /dataVolumeThroughputMiBps must be a whole number from 125 to 750; received 1000/],
    [{ dataVolumesPerHost: 11 }, /dataVolumesPerHost must be a whole number from 1 to 10; received 11/],
    [{ hostsPerAz: 0 }, /hostsPerAz must be a whole number from 1 to 100; received 0/],
    [{ nbdPorts: { from: 10999, to: 10800 } }, /nbdPorts.to must be a whole number from 10999 to 65535; received 10800/],
    [{ nodeVersion: 'latest' }, /nodeVersion must be a release like 22.11.0; received 'latest'/],
  ] as [Partial<FleetStackProps>, RegExp][])('when given %p, it refuses to build and says what is allowed', (props, message) => {
    // Act
    const build = () => synthesizeFleet(props);

    // Assess
    expect(build).toThrow(message);
  });

  test('when the fleet is synthesized, instances require IMDSv2 (one hop), are monitored in detail and EBS-optimized', () => {
    // Act
    const data = launchTemplateData(fleet);

    // Assess
    expect(data.MetadataOptions).toEqual({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(data).toMatchObject({ Monitoring: { Enabled: true }, EbsOptimized: true, InstanceType: 'm7g.large' });
  });

  test('when the fleet is synthesized, instances boot Ubuntu 24.04 for their architecture from Canonical\'s SSM parameter', () => {
    // Act
    const arm = fleet.toJSON().Parameters;
    const { template: x86 } = synthesizeFleet({ instanceType: new ec2.InstanceType('m7i.large') });

    // Assess
    expect(Object.values(arm).map((parameter: any) => parameter.Default)).toContain(
      '/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id',
    );
    expect(Object.values(x86.toJSON().Parameters).map((parameter: any) => parameter.Default)).toContain(
      '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id',
    );
    expect(userDataOf(x86)).toContain('linux-x64.tar.xz');
  });
});

describe('BlockplaneFleet user data', () => {
  test('when a host boots, user data stops at the first failure and installs QEMU (with qemu-storage-daemon) and the NBD tools', () => {
    // Act
    const script = userDataOf(fleet);

    // Assess
    expect(script.split('\n').slice(0, 2)).toEqual(['#!/bin/bash', 'set -euo pipefail']);
    expect(script).toContain('apt-get install -y qemu-system-common qemu-utils libnbd-bin');
  });

  test('when a host boots, it installs the pinned Node.js release after checking it against the release checksums', () => {
    // Act
    const script = userDataOf(fleet);

    // Assess
    expect(script).toContain('https://nodejs.org/dist/v22.11.0/node-v22.11.0-linux-arm64.tar.xz');
    expect(script).toMatch(/SHASUMS256\.txt \| grep ' node-v22\.11\.0-linux-arm64\.tar\.xz\$' \| \(cd \/tmp && sha256sum -c -\)/);
    expect(script.indexOf('sha256sum -c')).toBeLessThan(script.indexOf('tar -xJf'));
  });

  test('when a host boots, it writes the environment agent/packaging/blockplane-agent.service reads, describing this host', () => {
    // Act
    const script = userDataOf(fleet);

    // Assess
    const environment = script.slice(script.indexOf('cat > /etc/blockplane/agent.env <<EOF'), script.lastIndexOf('EOF'));
    for (const line of [
      'BLOCKPLANE_HOST_ID=$HOST_ID',
      'BLOCKPLANE_LOCATION=$LOCATION',
      'BLOCKPLANE_ADDRESS=$ADDRESS',
      'BLOCKPLANE_RACK=$RACK',
      'BLOCKPLANE_DEVICE_FLAGS=$DEVICE_FLAGS',
      'BLOCKPLANE_NBD_PORTS=10800-10999',
      'BLOCKPLANE_HEARTBEAT_INTERVAL_MS=5000',
      'BLOCKPLANE_POLL_WAIT_SECONDS=10',
      'BLOCKPLANE_OUTPUTS=/etc/blockplane/outputs.json',
      'AWS_REGION={"Ref":"AWS::Region"}',
    ]) {
      expect(environment).toContain(`\n${line}\n`);
    }
    for (const fact of ['HOST_ID=$(imds instance-id)', 'LOCATION=$(imds placement/availability-zone-id)', 'ADDRESS=$(imds local-ipv4)', 'RACK=partition-$(imds placement/partition-number)']) {
      expect(script).toContain(`\n${fact}\n`);
    }
    expect(script).toContain("-X PUT http://169.254.169.254/latest/api/token");
    expect(script).toContain('--device /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$serial:ssd:3000"\ndone\n');
  });

  test('when a host boots, it writes the API\'s outputs where BLOCKPLANE_OUTPUTS points', () => {
    // Prepare
    const { template } = synthesizeFleet();

    // Act
    const script = userDataOf(template);

    // Assess
    const start = script.indexOf("cat > /etc/blockplane/outputs.json <<'EOF'\n") + "cat > /etc/blockplane/outputs.json <<'EOF'\n".length;
    expect(JSON.parse(script.slice(start, script.indexOf('\nEOF\n', start)))).toEqual({
      BlockplaneApi: { ApiId: 'abc123', ApiStage: 'v1', ApiUrl: 'https://abc123.execute-api.us-east-1.amazonaws.com/v1/' },
    });
  });

  test('when a host boots, Node.js is at /usr/bin/node, where the agent\'s unit runs it', () => {
    // Act
    const script = userDataOf(fleet);

    // Assess
    expect(script).toContain('\nln -sf /usr/local/bin/node /usr/bin/node\n');
  });

  test('when the fleet has no agent, user data installs none and says so', () => {
    // Act
    const script = userDataOf(fleet);

    // Assess
    expect(script).not.toContain('aws s3 cp');
    expect(script).not.toContain('systemctl');
    expect(script).toContain('no agent in this deployment');
  });

  test('when the fleet installs the agent, user data fetches the bundle and the unit from their assets and starts the service', () => {
    // Act
    const script = userDataOf(withAgent.fleet as Template);

    // Assess
    expect(script.match(/aws s3 cp 's3:\/\/[^']+\/[0-9a-f]{64}\.js' '\/opt\/blockplane\/blockplane-agent\.js'/g)).toHaveLength(1);
    expect(script.match(/aws s3 cp 's3:\/\/[^']+\/[0-9a-f]{64}\.service' '\/etc\/systemd\/system\/blockplane-agent\.service'/g)).toHaveLength(1);
    expect(script.indexOf('cat > /etc/blockplane/agent.env')).toBeLessThan(script.indexOf('systemctl enable --now blockplane-agent.service'));
  });

  test('when agent files are given that do not exist, it refuses to build', () => {
    // Act
    const build = () => synthesizeFleet({ agent: { bundle: 'dist/no-such-agent.js', systemdUnit: 'agent/packaging/no-such.service' } });

    // Assess
    expect(build).toThrow(/agent file\(s\) .*no-such-agent\.js, .*no-such\.service do not exist; build the agent or pass agent: false/);
  });

  test('when no agent is configured, the fleet uses the default agent files if they exist and otherwise warns that hosts get no agent', () => {
    // Prepare
    const present = Object.values(DEFAULT_AGENT_FILES).every((file) => fs.existsSync(path.join(REPO_ROOT, file)));

    // Act
    const { template, stack } = synthesizeFleet({ agent: undefined });

    // Assess
    const warnings = stack.node.metadata.filter((entry) => entry.type === 'aws:cdk:warning').map((entry) => String(entry.data));
    if (present) {
      expect(userDataOf(template)).toContain('systemctl enable --now blockplane-agent.service');
      expect(warnings).toEqual([]);
    } else {
      expect(userDataOf(template)).not.toContain('systemctl');
      expect(warnings).toEqual([expect.stringContaining('the hosts get QEMU and Node.js but no agent')]);
    }
  });
});

describe('BlockplaneFleet racks', () => {
  test('when the fleet is synthesized, every host launches into one partition placement group of three partitions, named in a tag on the instances', () => {
    // Act
    const group = resourceNamed(fleet, 'AWS::EC2::PlacementGroup', 'HostRacks');
    const data = launchTemplateData(fleet);

    // Assess
    fleet.resourceCountIs('AWS::EC2::PlacementGroup', 1);
    expect(group.resource.Properties).toEqual({ Strategy: 'partition', PartitionCount: 3 });
    expect(data.Placement).toEqual({ GroupName: { 'Fn::GetAtt': [group.id, 'GroupName'] } });
    const instanceTags = data.TagSpecifications.find((spec: any) => spec.ResourceType === 'instance').Tags;
    expect(instanceTags).toContainEqual({ Key: RACK_PLACEMENT_GROUP_TAG, Value: data.Placement.GroupName });
  });

  test('when rackCount is given, the group has that many partitions; outside 1 to 7 it refuses to build', () => {
    const { template } = synthesizeFleet({ rackCount: 7 });
    template.hasResourceProperties('AWS::EC2::PlacementGroup', { Strategy: 'partition', PartitionCount: 7 });
    expect(() => synthesizeFleet({ rackCount: 8 })).toThrow(/rackCount must be a whole number from 1 to 7/);
    expect(() => synthesizeFleet({ rackCount: 0 })).toThrow(/rackCount/);
  });

  test('when a placement group is named, the hosts launch into it and none is created', () => {
    const { template } = synthesizeFleet({ placementGroupName: 'racks-of-use1' });
    template.resourceCountIs('AWS::EC2::PlacementGroup', 0);
    expect(launchTemplateData(template).Placement).toEqual({ GroupName: 'racks-of-use1' });
  });

  test('when the agent starts, its unit passes the rack user data wrote (--rack ${BLOCKPLANE_RACK})', () => {
    const unit = fs.readFileSync(path.join(REPO_ROOT, DEFAULT_AGENT_FILES.systemdUnit), 'utf8');
    expect(unit).toContain('  --rack ${BLOCKPLANE_RACK} \\\n');
    expect(fs.readFileSync(path.join(REPO_ROOT, 'agent/packaging/agent.env.example'), 'utf8')).toMatch(/^BLOCKPLANE_RACK=partition-\d+$/m);
  });
});

describe('BlockplaneFleet cdk-nag', () => {
  test.each([
    ['without the agent', () => synthesized],
    ['with the agent', () => withAgent],
  ])('when the AwsSolutions checks run over the fleet %s, they find nothing unacknowledged', (_, of) => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(of().stacks.fleet as Stack);

    // Assess
    expect(report.violations.map((violation) => `${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  test('when the fleet acknowledges a rule, it is only the fixed-size groups\' missing scaling notifications, the runtime pin and the probe\'s network-interface actions, each with a reason', () => {
    // Act
    const rules = acknowledgedRules(synthesized.stacks.fleet as Stack);

    // Assess
    expect(rules.sort()).toEqual([
      'BlockplaneFleet/HostProbe/Function: AwsSolutions-L1',
      'BlockplaneFleet/HostProbe/NetworkInterfaces: AwsSolutions-IAM5[Resource::*]',
      'BlockplaneFleet/HostsAz1: AwsSolutions-AS3',
      'BlockplaneFleet/HostsAz2: AwsSolutions-AS3',
    ]);
  });

  test('when the fleet runs in a given VPC whose CIDR is known only at deployment, the unreadable ingress rule is acknowledged', () => {
    // Act
    const { stack } = withOutdir((outdir) => {
      const app = new App({ outdir, context: CDK_JSON_CONTEXT });
      const identity = new Stack(app, 'Identity');
      const hostRole = new iam.Role(identity, 'HostRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
      const network = new Stack(app, 'Network');
      const vpc = new ec2.Vpc(network, 'Vpc', { maxAzs: 2, natGateways: 1 });
      const fleetStack = new FleetStack(app, 'Fleet', { agent: false, hostRole, api: STAND_IN_API, vpc });
      quietly(() => app.synth());
      return { stack: fleetStack };
    });

    // Assess
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
    expect(acknowledgedRules(stack)).toContain('Fleet/HostSecurityGroup: AwsSolutions-EC23');
  });
});

describe('BlockplaneFleet outputs and names', () => {
  test('when the fleet is synthesized, it outputs the VPC and the host security group, and names nothing physically', () => {
    // Act
    const outputs = fleet.findOutputs('*');
    const resources = Object.values(fleet.toJSON().Resources) as any[];

    // Assess
    expect(outputs.VpcId.Value).toEqual({ Ref: resourceNamed(fleet, 'AWS::EC2::VPC', 'Vpc').id });
    expect(outputs.HostSecurityGroupId.Value).toEqual({ 'Fn::GetAtt': [resourceNamed(fleet, 'AWS::EC2::SecurityGroup', 'HostSecurityGroup').id, 'GroupId'] });
    const physicalName: Record<string, string> = {
      'AWS::AutoScaling::AutoScalingGroup': 'AutoScalingGroupName',
      'AWS::EC2::LaunchTemplate': 'LaunchTemplateName',
      'AWS::EC2::SecurityGroup': 'GroupName',
      'AWS::IAM::InstanceProfile': 'InstanceProfileName',
      'AWS::IAM::Role': 'RoleName',
      'AWS::Logs::LogGroup': 'LogGroupName',
    };
    const named = resources.filter((resource) => physicalName[resource.Type] in (resource.Properties ?? {}));
    expect(named).toEqual([]);
  });
});
