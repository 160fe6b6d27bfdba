/**
 * Seeds the local cloud with what the fleet stack needs and the emulator lacks (MiniStack has no
 * Canonical AMI parameters, no NAT gateways, Elastic IPs or flow logs, and its CloudFormation no
 * placement groups): an SSM parameter holding one of the emulator's images, a VPC with one private
 * subnet per zone, and a partition placement group of three partitions (the hosts' racks).
 * Idempotent (found again by tag or name); prints the `cdk deploy -c` arguments that name them, one per line.
 */
import { CreatePlacementGroupCommand, CreateSubnetCommand, CreateVpcCommand, DescribeImagesCommand, DescribePlacementGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

const TAG = { Key: 'blockplane:local', Value: 'fleet' };
const VPC_CIDR = '10.0.0.0/16';
const ZONES = ['a', 'b', 'c'];
export const FLEET_IMAGE_PARAMETER = '/blockplane/local/fleet-image';
/** The hosts' partition placement group (their racks); the emulator's CloudFormation has no AWS::EC2::PlacementGroup. */
export const FLEET_PLACEMENT_GROUP = 'blockplane-local-racks';
const RACKS = 3;

async function main(): Promise<void> {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const ec2 = new EC2Client({ region });
  const ssm = new SSMClient({ region });

  const images = await ec2.send(new DescribeImagesCommand({}));
  const imageId = images.Images?.find((image) => image.ImageId)?.ImageId;
  if (!imageId) throw new Error('the local cloud lists no EC2 image to stand for the hosts\' Ubuntu image');
  await ssm.send(new PutParameterCommand({ Name: FLEET_IMAGE_PARAMETER, Value: imageId, Type: 'String', Overwrite: true }));

  const tagFilter = [{ Name: `tag:${TAG.Key}`, Values: [TAG.Value] }];
  const found = await ec2.send(new DescribeVpcsCommand({ Filters: tagFilter }));
  const vpcId =
    found.Vpcs?.[0]?.VpcId ??
    (await ec2.send(new CreateVpcCommand({ CidrBlock: VPC_CIDR, TagSpecifications: [{ ResourceType: 'vpc', Tags: [TAG] }] }))).Vpc?.VpcId;
  if (!vpcId) throw new Error('the local cloud created no VPC');

  const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets ?? [];
  const availabilityZones = ZONES.map((zone) => `${region}${zone}`);
  const privateSubnetIds: string[] = [];
  for (const [index, zone] of availabilityZones.entries()) {
    const existing = subnets.find((subnet) => subnet.AvailabilityZone === zone)?.SubnetId;
    const subnetId =
      existing ??
      (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, AvailabilityZone: zone, CidrBlock: `10.0.${128 + index * 16}.0/20` }))).Subnet?.SubnetId;
    if (!subnetId) throw new Error(`the local cloud created no subnet in ${zone}`);
    privateSubnetIds.push(subnetId);
  }

  const groups = await ec2.send(new DescribePlacementGroupsCommand({ Filters: [{ Name: 'group-name', Values: [FLEET_PLACEMENT_GROUP] }] }));
  if (!groups.PlacementGroups?.length) {
    await ec2.send(
      new CreatePlacementGroupCommand({ GroupName: FLEET_PLACEMENT_GROUP, Strategy: 'partition', PartitionCount: RACKS, TagSpecifications: [{ ResourceType: 'placement-group', Tags: [TAG] }] }),
    );
  }

  const vpc = { vpcId, vpcCidrBlock: VPC_CIDR, availabilityZones, privateSubnetIds };
  process.stdout.write(`-c\nfleetImageParameter=${FLEET_IMAGE_PARAMETER}\n-c\nfleetVpc=${JSON.stringify(vpc)}\n-c\nfleetPlacementGroup=${FLEET_PLACEMENT_GROUP}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`fleet-seed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
