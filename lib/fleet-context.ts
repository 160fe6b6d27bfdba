import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { z } from 'zod';

/** The fleet stack's image, network and racks, when context names existing ones instead of the defaults. */
export interface FleetNetwork {
  readonly machineImage?: ec2.IMachineImage;
  readonly vpcAttributes?: ec2.VpcAttributes;
  readonly placementGroupName?: string;
  readonly rackCount?: number;
}

const placementGroupName = /^[A-Za-z0-9._-]{1,255}$/;

const ssmParameterPath = /^\/[A-Za-z0-9_.\-/]+$/;

const existingVpc = z
  .object({
    vpcId: z.string().regex(/^vpc-[0-9a-f]+$/),
    vpcCidrBlock: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/),
    availabilityZones: z.array(z.string().min(1)).min(1),
    privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/)).min(1),
  })
  .strict()
  .refine((vpc) => vpc.privateSubnetIds.length === vpc.availabilityZones.length, {
    message: 'privateSubnetIds needs one subnet per availability zone',
  });

/**
 * Reads the image parameter (an SSM parameter path holding an AMI id), the existing VPC (JSON,
 * see `existingVpc`), the existing partition placement group (its name) and the rack count from
 * context; each is left out when its key is not set (FleetStack checks the count's range).
 */
export function fleetNetworkFromContext(
  scope: Construct,
  keys: { readonly imageParameterKey: string; readonly vpcKey: string; readonly placementGroupKey: string; readonly rackCountKey: string },
): FleetNetwork {
  const parameter: unknown = scope.node.tryGetContext(keys.imageParameterKey);
  const vpcJson: unknown = scope.node.tryGetContext(keys.vpcKey);
  const group: unknown = scope.node.tryGetContext(keys.placementGroupKey);
  const racks: unknown = scope.node.tryGetContext(keys.rackCountKey);
  const rackCount = typeof racks === 'string' ? Number(racks.trim()) : racks;
  if (racks !== undefined && !Number.isInteger(rackCount)) {
    throw new Error(`context ${keys.rackCountKey} must be a whole number of racks; received ${JSON.stringify(racks)}`);
  }
  if (group !== undefined && (typeof group !== 'string' || !placementGroupName.test(group))) {
    throw new Error(`context ${keys.placementGroupKey} must be a placement group name (letters, digits, '.', '_', '-'); received ${JSON.stringify(group)}`);
  }
  return {
    ...(parameter === undefined ? {} : { machineImage: imageFromParameter(keys.imageParameterKey, parameter) }),
    ...(vpcJson === undefined ? {} : { vpcAttributes: vpcFromJson(keys.vpcKey, vpcJson) }),
    ...(group === undefined ? {} : { placementGroupName: group }),
    ...(racks === undefined ? {} : { rackCount: rackCount as number }),
  };
}

function imageFromParameter(key: string, parameter: unknown): ec2.IMachineImage {
  if (typeof parameter !== 'string' || !ssmParameterPath.test(parameter)) {
    throw new Error(`context ${key} must be an SSM parameter path such as /blockplane/fleet-image; received ${JSON.stringify(parameter)}`);
  }
  return ec2.MachineImage.fromSsmParameter(parameter, { os: ec2.OperatingSystemType.LINUX });
}

function vpcFromJson(key: string, raw: unknown): ec2.VpcAttributes {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new Error(`context ${key} must be JSON; received ${JSON.stringify(raw)}`);
    }
  }
  const parsed = existingVpc.safeParse(value);
  if (!parsed.success) {
    throw new Error(`context ${key}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join('; ')}`);
  }
  return parsed.data;
}
