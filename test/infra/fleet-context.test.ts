import { Match } from 'aws-cdk-lib/assertions';
import { SYNTH_TIMEOUT_MS, synthesizeBlockplane } from './synth';

/**
 * Context `fleetImageParameter` and `fleetVpc` (lib/fleet-context.ts): the fleet stack deploys
 * into an existing image parameter and VPC when they are named (the local cloud's fleet deploy
 * does), and a malformed value stops synthesis with the key named.
 */
jest.setTimeout(SYNTH_TIMEOUT_MS);

const vpc = {
  vpcId: 'vpc-0123456789abcdef0',
  vpcCidrBlock: '10.0.0.0/16',
  availabilityZones: ['us-east-1a', 'us-east-1b'],
  privateSubnetIds: ['subnet-0aaa', 'subnet-0bbb'],
};
const fleetContext = (extra: Record<string, unknown>) => ({ context: { fleet: true, ...extra }, props: { fleet: { agent: false as const } } });

test('an existing VPC and image parameter replace the VPC and Canonical parameter the stack would create', () => {
  const { fleet } = synthesizeBlockplane(fleetContext({ fleetImageParameter: '/blockplane/local/fleet-image', fleetVpc: JSON.stringify(vpc) }));

  fleet!.resourceCountIs('AWS::EC2::VPC', 0);
  fleet!.resourceCountIs('AWS::EC2::NatGateway', 0);
  fleet!.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 2);
  fleet!.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { VPCZoneIdentifier: ['subnet-0aaa'] });
  fleet!.hasResourceProperties('AWS::EC2::SecurityGroup', {
    VpcId: vpc.vpcId,
    SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.0.0.0/16' })],
  });
  const parameters = Object.values(fleet!.toJSON().Parameters ?? {}) as { Default?: string }[];
  expect(parameters.map((parameter) => parameter.Default)).toContain('/blockplane/local/fleet-image');
});

test('an existing placement group replaces the one the stack would create, and fleetRackCount sets the partitions of a new one', () => {
  const existing = synthesizeBlockplane(fleetContext({ fleetPlacementGroup: 'blockplane-local-racks' })).fleet!;
  existing.resourceCountIs('AWS::EC2::PlacementGroup', 0);
  existing.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ Placement: { GroupName: 'blockplane-local-racks' } }) });

  const five = synthesizeBlockplane(fleetContext({ fleetRackCount: '5' })).fleet!;
  five.hasResourceProperties('AWS::EC2::PlacementGroup', { Strategy: 'partition', PartitionCount: 5 });
});

test.each([
  ['fleetPlacementGroup', 'my group!'],
  ['fleetRackCount', 'three'],
  ['fleetImageParameter', 'ami-0123'],
  ['fleetVpc', 'not json'],
  ['fleetVpc', JSON.stringify({ ...vpc, privateSubnetIds: ['subnet-0aaa'] })],
  ['fleetVpc', JSON.stringify({ ...vpc, vpcId: 'my-vpc' })],
])('context %s=%s stops synthesis naming the key', (key, value) => {
  expect(() => synthesizeBlockplane(fleetContext({ [key]: value }))).toThrow(new RegExp(`context ${key}`));
});
