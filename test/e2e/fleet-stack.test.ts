import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { DescribeLaunchTemplateVersionsCommand, DescribePlacementGroupsCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';

/**
 * The BlockplaneFleet stack (launch template, one Auto Scaling group per zone, the host role's
 * instance profile, the security group) as the local cloud deployed it (`local/cloud.sh deploy`
 * includes it, into the image parameter and VPC local/fleet-seed.ts seeds), read back through
 * the SDK: the settings its tests in test/infra promise hold in the deployed resources too.
 */
jest.setTimeout(60_000);

const cloudFormation = new CloudFormationClient({});
const ec2 = new EC2Client({});

async function fleetResources(): Promise<Map<string, { type: string; physicalId: string; logicalId: string }[]>> {
  const byType = new Map<string, { type: string; physicalId: string; logicalId: string }[]>();
  let nextToken: string | undefined;
  do {
    const page = await cloudFormation.send(new ListStackResourcesCommand({ StackName: 'BlockplaneFleet', NextToken: nextToken }));
    for (const resource of page.StackResourceSummaries ?? []) {
      const type = resource.ResourceType ?? '';
      byType.set(type, [...(byType.get(type) ?? []), { type, physicalId: resource.PhysicalResourceId ?? '', logicalId: resource.LogicalResourceId ?? '' }]);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return byType;
}

test('the fleet stack is deployed', async () => {
  const stacks = await cloudFormation.send(new DescribeStacksCommand({ StackName: 'BlockplaneFleet' }));
  expect(stacks.Stacks?.[0]?.StackStatus).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);
});

test("it holds one Auto Scaling group per zone, a launch template, an instance profile, the hosts' security group and the probe's", async () => {
  const resources = await fleetResources();
  expect(resources.get('AWS::AutoScaling::AutoScalingGroup')).toHaveLength(3);
  expect(resources.get('AWS::EC2::LaunchTemplate')).toHaveLength(1);
  expect(resources.get('AWS::IAM::InstanceProfile')).toHaveLength(1);
  expect((resources.get('AWS::EC2::SecurityGroup') ?? []).map((group) => group.logicalId.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['HostProbeSecurityGroup', 'HostSecurityGroup']);
});

test('the launch template requires IMDSv2 with one hop and gives encrypted gp3 volumes only', async () => {
  const [template] = (await fleetResources()).get('AWS::EC2::LaunchTemplate') ?? [];
  const versions = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: template?.physicalId, Versions: ['$Latest'] }));
  const data = versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData;

  expect(data?.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
  expect(data?.IamInstanceProfile?.Arn ?? data?.IamInstanceProfile?.Name).toBeTruthy();
  const volumes = (data?.BlockDeviceMappings ?? []).map((mapping) => mapping.Ebs);
  expect(volumes.length).toBeGreaterThan(1);
  for (const volume of volumes) expect(volume).toMatchObject({ Encrypted: true, VolumeType: 'gp3' });
});

const securityGroup = async (logicalPrefix: string) =>
  ((await fleetResources()).get('AWS::EC2::SecurityGroup') ?? []).find((group) => group.logicalId.replace(/[0-9A-F]{8}$/, '') === logicalPrefix);

test("the hosts' security group admits NBD from the VPC only", async () => {
  const group = await securityGroup('HostSecurityGroup');
  const described = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [group?.physicalId ?? ''] }));
  const ingress = described.SecurityGroups?.[0]?.IpPermissions ?? [];

  expect(ingress.length).toBeGreaterThan(0);
  for (const permission of ingress) {
    expect(permission.IpProtocol).toBe('tcp');
    expect((permission.IpRanges ?? []).map((range) => range.CidrIp)).toEqual(['10.0.0.0/16']);
  }
});

test("the probe's security group admits nothing and lets out only TCP to the hosts' NBD ports in the VPC", async () => {
  const group = await securityGroup('HostProbeSecurityGroup');
  const [described] = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [group?.physicalId ?? ''] }))).SecurityGroups ?? [];

  expect(described?.IpPermissions ?? []).toEqual([]);
  expect((described?.IpPermissionsEgress ?? []).map((rule) => ({ protocol: rule.IpProtocol, from: rule.FromPort, to: rule.ToPort, cidrs: (rule.IpRanges ?? []).map((range) => range.CidrIp) }))).toEqual([
    { protocol: 'tcp', from: 10800, to: 10999, cidrs: ['10.0.0.0/16'] },
  ]);
});

// MiniStack's DescribeLaunchTemplateVersions leaves Placement out of the answer (it keeps it), so the
// launch template's placement is read from the deployed template and the group from EC2.
test('the launch template puts the hosts in a partition placement group of three partitions (their racks), names it in a tag, and user data passes the partition as the rack', async () => {
  const [template] = (await fleetResources()).get('AWS::EC2::LaunchTemplate') ?? [];
  const versions = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: template?.physicalId, Versions: ['$Latest'] }));
  const data = versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
  const instanceTags = data?.TagSpecifications?.find((spec) => spec.ResourceType === 'instance')?.Tags ?? [];
  const groupName = instanceTags.find((tag) => tag.Key === 'blockplane:rack-placement-group')?.Value ?? '';
  const deployed = JSON.parse((await cloudFormation.send(new GetTemplateCommand({ StackName: 'BlockplaneFleet' }))).TemplateBody ?? '{}');
  const launchTemplate = Object.values(deployed.Resources as Record<string, { Type: string; Properties: any }>).find((resource) => resource.Type === 'AWS::EC2::LaunchTemplate');
  const groups = await ec2.send(new DescribePlacementGroupsCommand({ GroupNames: [groupName] }));

  expect(launchTemplate?.Properties.LaunchTemplateData.Placement).toEqual({ GroupName: groupName });
  expect(groups.PlacementGroups?.[0]).toMatchObject({ GroupName: groupName, Strategy: 'partition', PartitionCount: 3 });
  const userData = Buffer.from(data?.UserData ?? '', 'base64').toString('utf8');
  expect(userData).toContain('\nRACK=partition-$(imds placement/partition-number)\n');
  expect(userData).toContain('\nBLOCKPLANE_RACK=$RACK\n');
});
