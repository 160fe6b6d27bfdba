import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, Aws, CfnOutput, Duration, Stack, type StackProps, Tags, Token, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import { BlockplaneFunction } from './blockplane-function';
import { REPO_ROOT } from './repo-paths';

/** The agent's two files, relative to the repository root (or absolute). */
export interface AgentFiles {
  /** The agent bundled into one file that `node` runs (installed as `/opt/blockplane/blockplane-agent.js`). */
  readonly bundle: string;
  /** Its systemd unit (installed as `/etc/systemd/system/blockplane-agent.service`). */
  readonly systemdUnit: string;
}

/** Where the agent's build and packaging put its files; used when both exist. */
export const DEFAULT_AGENT_FILES: AgentFiles = {
  bundle: 'dist/blockplane-agent.js',
  systemdUnit: 'agent/packaging/blockplane-agent.service',
};

/** A TCP port range, both ends included. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/**
 * Where user data installs things on a host: the paths agent/packaging/blockplane-agent.service
 * and agent/packaging/agent.env.example expect.
 */
export const HOST_PATHS = {
  /** The official Node.js build goes to /usr/local; the unit runs `/usr/bin/node`, a link to it. */
  node: '/usr/bin/node',
  agentBundle: '/opt/blockplane/blockplane-agent.js',
  systemdUnit: '/etc/systemd/system/blockplane-agent.service',
  /** `KEY=value` lines describing this host to the agent (see `hostSetupCommands`). */
  environmentFile: '/etc/blockplane/agent.env',
  /** The API's stack outputs, in the shape of `cdk deploy --outputs-file` (`BLOCKPLANE_OUTPUTS`). */
  outputsFile: '/etc/blockplane/outputs.json',
} as const;

/** What the agent needs of BlockplaneApi: its outputs `ApiId`, `ApiStage` and `ApiUrl`. */
export interface ApiEndpoint {
  readonly apiId: string;
  readonly apiStage: string;
  readonly apiUrl: string;
}

export interface FleetStackProps extends StackProps {
  /**
   * The storage-host role (BlockplaneApi's `hostRole`): the instances run as it, and the API
   * recognises its sessions as hosts. This stack adds to it only the right to read the agent's
   * two asset objects (when there is an agent to install).
   */
  readonly hostRole: iam.IRole;

  /** The API the agents call (BlockplaneApi's outputs). */
  readonly api: ApiEndpoint;

  /**
   * The VPC the hosts run in, in its private subnets with egress (one Auto Scaling group per
   * Availability Zone).
   * @default - a new VPC (10.0.0.0/16) over `maxAzs` Availability Zones, each with a public
   *   subnet holding a NAT gateway and a private subnet for the hosts, with flow logs to
   *   CloudWatch Logs. One NAT gateway per zone, so a zone outage does not silence the hosts
   *   of the other zones (a silent host is failed over).
   */
  readonly vpc?: ec2.IVpc;

  /**
   * An existing VPC by its attributes (its private subnets with egress hold the hosts); ignored
   * with `vpc`. For an app whose VPC is known only as ids, such as context `fleetVpc`.
   * @default - see `vpc`
   */
  readonly vpcAttributes?: ec2.VpcAttributes;

  /**
   * Availability Zones of the VPC this stack creates; ignored with `vpc`. An environment-agnostic
   * stack gets at most 2.
   * @default 3
   */
  readonly maxAzs?: number;

  /**
   * Storage hosts per Availability Zone. A volume's two copies are placed on two hosts of its
   * location (the zone id, e.g. `use1-az1`) and a fail-over needs a third for the new mirror.
   * @default 3
   */
  readonly hostsPerAz?: number;

  /**
   * Racks per Availability Zone (docs/health.md, "Topology"): the hosts go into a partition
   * placement group of this many partitions (EC2 spreads them over the partitions; no two
   * partitions share a rack), and each host registers with the rack `partition-<n>` of its
   * partition number. At most 7 (EC2's limit per zone).
   * @default 3
   */
  readonly rackCount?: number;

  /**
   * An existing partition placement group for the hosts instead of a new one (for instance
   * context `fleetPlacementGroup`, where CloudFormation cannot create one); `rackCount` is then ignored.
   * @default - a new partition placement group of `rackCount` partitions
   */
  readonly placementGroupName?: string;

  /**
   * @default m7g.large (Graviton, 2 vCPU, 8 GiB, EBS-optimized)
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * The operating system image: a Debian-family Linux (user data uses apt-get) whose QEMU has
   * qemu-storage-daemon in qemu-system-common.
   * @default - the latest Ubuntu 24.04 LTS for the instance type's architecture, from Canonical's
   *   public SSM parameter (resolved at each deployment)
   */
  readonly machineImage?: ec2.IMachineImage;

  /**
   * The image's root device, so that the root volume is the encrypted gp3 volume this stack
   * describes rather than an extra one.
   * @default '/dev/sda1' (Ubuntu)
   */
  readonly rootDeviceName?: string;

  /**
   * EBS data volumes per host, each gp3 and encrypted (the agent's disks of type `ssd`).
   * @default 2
   */
  readonly dataVolumesPerHost?: number;

  /**
   * Size of each data volume, in GiB (1 to 16384).
   * @default 500
   */
  readonly dataVolumeSizeGiB?: number;

  /**
   * Provisioned IOPS of each data volume (3000 to 16000, at most 500 per GiB); the agent
   * reports it as the disk's IOPS capacity.
   * @default 3000
   */
  readonly dataVolumeIops?: number;

  /**
   * Provisioned throughput of each data volume, in MiB/s (125 to 1000, at most IOPS / 4).
   * @default 125
   */
  readonly dataVolumeThroughputMiBps?: number;

  /**
   * Ports the hosts' qemu-storage-daemons serve NBD on; open to the VPC's CIDR only.
   * @default { from: 10800, to: 10999 }
   */
  readonly nbdPorts?: PortRange;

  /**
   * Node.js release installed on the hosts (official linux tarball, checked against the
   * release's SHASUMS256.txt).
   * @default '22.11.0'
   */
  readonly nodeVersion?: string;

  /**
   * The agent to install and start: uploaded as two S3 assets, fetched at boot. `false` installs
   * no agent. Given files must exist.
   * @default - `DEFAULT_AGENT_FILES` (`dist/blockplane-agent.js` and
   *   `agent/packaging/blockplane-agent.service`) when both exist; otherwise no agent is
   *   installed (hosts get QEMU and Node.js only) and synthesis warns.
   */
  readonly agent?: AgentFiles | false;

  /**
   * The name of the health evaluator's probe function (BlockplaneHealth invokes it by name).
   * @default DEFAULT_HOST_PROBE_FUNCTION_NAME
   */
  readonly hostProbeFunctionName?: string;
}

/** The probe function's name unless the app names it (`HealthStackProps.hostProbeFunctionName`). */
export const DEFAULT_HOST_PROBE_FUNCTION_NAME = 'blockplane-host-probe';

const DEFAULT_VPC_CIDR = '10.0.0.0/16';
const DEFAULT_NBD_PORTS: PortRange = { from: 10800, to: 10999 };
const MAX_DATA_VOLUMES = 10; // /dev/sdf … /dev/sdo
const MAX_PARTITIONS = 7; // per Availability Zone, EC2's limit for a partition placement group
/** The instance tag naming the placement group whose partition number is the host's rack. */
export const RACK_PLACEMENT_GROUP_TAG = 'blockplane:rack-placement-group';

/**
 * The storage hosts (docs/control-plane.md, "Stacks"): EC2 instances in Auto Scaling groups of
 * fixed size, one group per Availability Zone, each instance with encrypted gp3 data volumes,
 * IMDSv2 only, QEMU, Node.js and the agent installed at first boot, running as the storage-host
 * role, and reachable only on the NBD ports from inside the VPC; and the health evaluator's probe
 * function, which reaches those ports from inside the VPC.
 *
 * A group never replaces hosts on a template change (no update policy): a host holds data, and
 * losing one starts fail-overs. A host that EC2 finds unhealthy is replaced; the control plane
 * has failed its copies over by then.
 */
export class FleetStack extends Stack {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.SecurityGroup;
  readonly launchTemplate: ec2.LaunchTemplate;
  /** The partition placement group whose partitions are the hosts' racks. */
  readonly placementGroup: ec2.IPlacementGroup;
  readonly autoScalingGroups: autoscaling.AutoScalingGroup[];
  /** The health evaluator's probe of quiet hosts, inside the VPC. */
  readonly hostProbe: BlockplaneFunction;

  constructor(scope: Construct, id: string, props: FleetStackProps) {
    super(scope, id, props);
    const hostsPerAz = wholeNumber('hostsPerAz', props.hostsPerAz ?? 3, 1, 100);
    const volumeCount = wholeNumber('dataVolumesPerHost', props.dataVolumesPerHost ?? 2, 1, MAX_DATA_VOLUMES);
    const volumeSize = wholeNumber('dataVolumeSizeGiB', props.dataVolumeSizeGiB ?? 500, 1, 16_384);
    const volumeIops = wholeNumber('dataVolumeIops', props.dataVolumeIops ?? 3000, 3000, Math.min(16_000, 500 * volumeSize));
    // gp3 allows at most 0.25 MiB/s per provisioned IOPS.
    const volumeThroughput = wholeNumber('dataVolumeThroughputMiBps', props.dataVolumeThroughputMiBps ?? 125, 125, Math.min(1000, volumeIops / 4));
    const rackCount = wholeNumber('rackCount', props.rackCount ?? 3, 1, MAX_PARTITIONS);
    const nbdPorts = props.nbdPorts ?? DEFAULT_NBD_PORTS;
    wholeNumber('nbdPorts.from', nbdPorts.from, 1024, 65_535);
    wholeNumber('nbdPorts.to', nbdPorts.to, nbdPorts.from, 65_535);
    const nodeVersion = props.nodeVersion ?? '22.11.0';
    if (!/^\d+\.\d+\.\d+$/.test(nodeVersion)) {
      throw new Error(`nodeVersion must be a release like 22.11.0; received '${nodeVersion}'`);
    }
    const instanceType = props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE);
    const arm = instanceType.architecture === ec2.InstanceArchitecture.ARM_64;

    const existingVpc =
      props.vpc ?? (props.vpcAttributes && ec2.Vpc.fromVpcAttributes(this, 'ExistingVpc', props.vpcAttributes));
    this.vpc = existingVpc ?? this.createVpc(props.maxAzs ?? 3);
    // The VPC this stack creates has a known CIDR; writing it literally also lets cdk-nag read the rule.
    const vpcCidr = existingVpc ? existingVpc.vpcCidrBlock : DEFAULT_VPC_CIDR;

    this.securityGroup = new ec2.SecurityGroup(this, 'HostSecurityGroup', {
      vpc: this.vpc,
      description: `Blockplane storage hosts: NBD (TCP ${nbdPorts.from}-${nbdPorts.to}) from the VPC only`,
      // Hosts call the API, S3 and package mirrors through the NAT gateways.
      allowAllOutbound: true,
    });
    this.securityGroup.addIngressRule(
      ec2.Peer.ipv4(vpcCidr),
      ec2.Port.tcpRange(nbdPorts.from, nbdPorts.to),
      'NBD from clients and replicating hosts in the VPC',
    );
    if (Token.isUnresolved(vpcCidr)) {
      Validations.of(this.securityGroup).acknowledge({
        id: 'AwsSolutions-EC23',
        reason:
          "the only ingress rule's source is the given VPC's CIDR block, which is known only at deployment, so the " +
          'check cannot read it; it is never 0.0.0.0/0',
      });
    }

    this.hostProbe = this.hostProbeFunction(props.hostProbeFunctionName ?? DEFAULT_HOST_PROBE_FUNCTION_NAME, vpcCidr, nbdPorts);

    const agent = this.agentAssets(props.agent);
    if (agent) {
      // The only addition to the storage-host role: reading exactly these two objects at boot.
      new iam.Policy(this, 'AgentAssetRead', {
        roles: [props.hostRole],
        statements: [
          new iam.PolicyStatement({
            actions: ['s3:GetObject'],
            resources: [agent.bundle, agent.systemdUnit].map((asset) => asset.bucket.arnForObjects(asset.s3ObjectKey)),
          }),
        ],
      });
    }

    this.placementGroup = props.placementGroupName
      ? ec2.PlacementGroup.fromPlacementGroupName(this, 'HostRacks', props.placementGroupName)
      : new ec2.PlacementGroup(this, 'HostRacks', { strategy: ec2.PlacementGroupStrategy.PARTITION, partitions: rackCount });

    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      ...hostSetupCommands({
        nodeVersion,
        nodeArch: arm ? 'arm64' : 'x64',
        dataVolumes: volumeCount,
        dataVolumeIops: volumeIops,
        nbdPorts,
        api: props.api,
      }),
    );
    if (agent) {
      // Ubuntu 24.04 has no awscli package any more; Canonical's images come with snapd.
      userData.addCommands('snap wait system seed.loaded', 'snap install aws-cli --classic', 'export PATH="$PATH:/snap/bin"');
      userData.addS3DownloadCommand({ bucket: agent.bundle.bucket, bucketKey: agent.bundle.s3ObjectKey, localFile: HOST_PATHS.agentBundle, region: Aws.REGION });
      userData.addS3DownloadCommand({ bucket: agent.systemdUnit.bucket, bucketKey: agent.systemdUnit.s3ObjectKey, localFile: HOST_PATHS.systemdUnit, region: Aws.REGION });
      userData.addCommands(
        `chmod 0644 ${HOST_PATHS.agentBundle} ${HOST_PATHS.systemdUnit}`,
        'systemctl daemon-reload',
        'systemctl enable --now blockplane-agent.service',
      );
    } else {
      userData.addCommands('echo "blockplane: no agent in this deployment; host prepared without one"');
    }

    const encryptedGp3 = (sizeGiB: number, options: ec2.EbsDeviceOptions = {}) =>
      ec2.BlockDeviceVolume.ebs(sizeGiB, {
        volumeType: ec2.EbsDeviceVolumeType.GP3,
        encrypted: true,
        deleteOnTermination: true,
        ...options,
      });
    this.launchTemplate = new ec2.LaunchTemplate(this, 'HostLaunchTemplate', {
      instanceType,
      machineImage: props.machineImage ?? ubuntu2404(arm),
      userData,
      role: props.hostRole,
      securityGroup: this.securityGroup,
      placementGroup: this.placementGroup,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      ebsOptimized: true,
      blockDevices: [
        { deviceName: props.rootDeviceName ?? '/dev/sda1', volume: encryptedGp3(30) },
        ...Array.from({ length: volumeCount }, (_, index) => ({
          deviceName: `/dev/sd${String.fromCharCode('f'.charCodeAt(0) + index)}`,
          volume: encryptedGp3(volumeSize, { iops: volumeIops, throughput: volumeThroughput }),
        })),
      ],
    });

    // A launch template's tags are the same for every instance, so they cannot carry each host's
    // partition: they name the group, and each host reads its partition number at boot (user data).
    Tags.of(this.launchTemplate).add(RACK_PLACEMENT_GROUP_TAG, this.placementGroup.placementGroupName);

    const subnets = this.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, onePerAz: true }).subnets;
    if (subnets.length === 0) throw new Error('the fleet VPC has no private subnet with egress for the storage hosts');
    this.autoScalingGroups = subnets.map((subnet, index) => {
      const group = new autoscaling.AutoScalingGroup(this, `HostsAz${index + 1}`, {
        vpc: this.vpc,
        vpcSubnets: { subnets: [subnet] },
        launchTemplate: this.launchTemplate,
        minCapacity: hostsPerAz,
        maxCapacity: hostsPerAz,
      });
      Validations.of(group).acknowledge({
        id: 'AwsSolutions-AS3',
        reason:
          'the group has a fixed size and never scales; the only event is EC2 replacing a failed host, and the control ' +
          "plane already acts on that: it sees the host's heartbeats stop and fails its copies over",
      });
      return group;
    });

    new CfnOutput(this, 'VpcId', { value: this.vpc.vpcId });
    new CfnOutput(this, 'HostSecurityGroupId', { value: this.securityGroup.securityGroupId });
    new CfnOutput(this, 'HostProbeFunctionName', { value: this.hostProbe.function.functionName });
  }

  /**
   * The health evaluator's probe of quiet hosts (docs/health.md, "Levels"), here because only the
   * VPC reaches the hosts' NBD ports: its security group lets it open exactly those, in the VPC,
   * and its role holds nothing but its log group and its network interfaces.
   */
  private hostProbeFunction(functionName: string, vpcCidr: string, nbdPorts: PortRange): BlockplaneFunction {
    const securityGroup = new ec2.SecurityGroup(this, 'HostProbeSecurityGroup', {
      vpc: this.vpc,
      description: `Blockplane host probe: TCP ${nbdPorts.from}-${nbdPorts.to} to the VPC only`,
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.ipv4(vpcCidr), ec2.Port.tcpRange(nbdPorts.from, nbdPorts.to), "TCP handshakes with the hosts' NBD exports");
    return new BlockplaneFunction(this, 'HostProbe', {
      entry: 'lambdas/events/probe-endpoints.ts',
      description: "Health: a TCP handshake with a quiet host's NBD exports, from inside the hosts' VPC",
      functionName,
      timeout: Duration.seconds(10),
      network: { vpc: this.vpc, subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }, securityGroup },
    });
  }

  private createVpc(maxAzs: number): ec2.Vpc {
    const flowLogs = new logs.LogGroup(this, 'VpcFlowLogs', { retention: logs.RetentionDays.ONE_MONTH });
    return new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(DEFAULT_VPC_CIDR),
      maxAzs,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Hosts', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      flowLogs: {
        All: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL },
      },
    });
  }

  /** The agent's files as S3 assets, or undefined when there is no agent to install. */
  private agentAssets(agent: AgentFiles | false | undefined): { bundle: s3assets.Asset; systemdUnit: s3assets.Asset } | undefined {
    if (agent === false) return undefined;
    const files = agent ?? DEFAULT_AGENT_FILES;
    const absolute = { bundle: path.resolve(REPO_ROOT, files.bundle), systemdUnit: path.resolve(REPO_ROOT, files.systemdUnit) };
    const missing = Object.values(absolute).filter((file) => !fs.existsSync(file));
    if (missing.length > 0) {
      if (agent !== undefined) throw new Error(`agent file(s) ${missing.join(', ')} do not exist; build the agent or pass agent: false`);
      Annotations.of(this).addWarningV2(
        '@blockplane/fleet:no-agent',
        `${DEFAULT_AGENT_FILES.bundle} or ${DEFAULT_AGENT_FILES.systemdUnit} does not exist: the hosts get QEMU and Node.js but no agent`,
      );
      return undefined;
    }
    return {
      bundle: new s3assets.Asset(this, 'AgentBundle', { path: absolute.bundle }),
      systemdUnit: new s3assets.Asset(this, 'AgentSystemdUnit', { path: absolute.systemdUnit }),
    };
  }
}

function wholeNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}; received ${value}`);
  }
  return value;
}

/** Canonical's Ubuntu 24.04 LTS (QEMU 8.2, qemu-storage-daemon in qemu-system-common). */
function ubuntu2404(arm: boolean): ec2.IMachineImage {
  return ec2.MachineImage.fromSsmParameter(
    `/aws/service/canonical/ubuntu/server/24.04/stable/current/${arm ? 'arm64' : 'amd64'}/hvm/ebs-gp3/ami-id`,
    { os: ec2.OperatingSystemType.LINUX },
  );
}

interface HostSetup {
  readonly nodeVersion: string;
  readonly nodeArch: 'arm64' | 'x64';
  readonly dataVolumes: number;
  readonly dataVolumeIops: number;
  readonly nbdPorts: PortRange;
  readonly api: ApiEndpoint;
}

/**
 * First-boot commands (bash, `set -euo pipefail`): QEMU and libnbd tools from apt, Node.js from
 * the official tarball, the API's outputs and the agent's environment file, which
 * agent/packaging/blockplane-agent.service reads (`EnvironmentFile=`) and turns into flags:
 * - `BLOCKPLANE_HOST_ID` (the instance id), `BLOCKPLANE_LOCATION` (the Availability Zone id,
 *   e.g. `use1-az1`: the same zone in every account, unlike zone names), `BLOCKPLANE_RACK`
 *   (`partition-<n>`, the instance's partition of the hosts' partition placement group),
 *   `BLOCKPLANE_ADDRESS` (the private IPv4 address the NBD servers listen on);
 * - `BLOCKPLANE_DEVICE_FLAGS`: `--device <path>:ssd:<iops>` per EBS data volume, each by its
 *   stable `/dev/disk/by-id/` name (the agent formats and mounts them);
 * - `BLOCKPLANE_NBD_PORTS`, `BLOCKPLANE_HEARTBEAT_INTERVAL_MS`, `BLOCKPLANE_POLL_WAIT_SECONDS`;
 * - `BLOCKPLANE_OUTPUTS` (where the API URL is) and `AWS_REGION`; credentials come from the
 *   instance profile.
 */
function hostSetupCommands(setup: HostSetup): string[] {
  const nodeDist = `node-v${setup.nodeVersion}-linux-${setup.nodeArch}`;
  const nodeBase = `https://nodejs.org/dist/v${setup.nodeVersion}`;
  const outputs = JSON.stringify({ BlockplaneApi: { ApiId: '__ID__', ApiStage: '__STAGE__', ApiUrl: '__URL__' } })
    .replace('__ID__', () => setup.api.apiId)
    .replace('__STAGE__', () => setup.api.apiStage)
    .replace('__URL__', () => setup.api.apiUrl);
  return [
    'set -euo pipefail',
    'export DEBIAN_FRONTEND=noninteractive',
    'apt-get update',
    'apt-get install -y qemu-system-common qemu-utils libnbd-bin python3-libnbd curl xz-utils',
    // Node.js: the official build, verified against the release's checksums.
    `curl -fsSL -o /tmp/${nodeDist}.tar.xz ${nodeBase}/${nodeDist}.tar.xz`,
    `curl -fsSL ${nodeBase}/SHASUMS256.txt | grep ' ${nodeDist}.tar.xz$' | (cd /tmp && sha256sum -c -)`,
    `tar -xJf /tmp/${nodeDist}.tar.xz -C /usr/local --strip-components=1 --no-same-owner`,
    `rm /tmp/${nodeDist}.tar.xz`,
    `ln -sf /usr/local/bin/node ${HOST_PATHS.node}`,
    `${HOST_PATHS.node} --version`,
    // This host, from the instance metadata service (IMDSv2: a session token first).
    "IMDS_TOKEN=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')",
    'imds() { curl -fsS -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" "http://169.254.169.254/latest/meta-data/$1"; }',
    'HOST_ID=$(imds instance-id)',
    'LOCATION=$(imds placement/availability-zone-id)',
    'ADDRESS=$(imds local-ipv4)',
    // The rack: the partition of the placement group the launch template puts every host in.
    'RACK=partition-$(imds placement/partition-number)',
    // The data volumes: every EBS NVMe disk but the root disk, by volume id (stable across reboots).
    'ROOT_DISK=$(lsblk -no PKNAME "$(findmnt -no SOURCE /)")',
    'data_disks() { lsblk -dno NAME,MODEL | awk -v root="$ROOT_DISK" \'$1 != root && /Amazon Elastic Block Store/ {print $1}\'; }',
    `for attempt in $(seq 60); do [ "$(data_disks | wc -l)" -ge ${setup.dataVolumes} ] && break; sleep 2; done`,
    'DEVICE_FLAGS=""',
    'for disk in $(data_disks); do',
    '  serial=$(lsblk -dno SERIAL "/dev/$disk")',
    `  DEVICE_FLAGS="\${DEVICE_FLAGS:+$DEVICE_FLAGS }--device /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$serial:ssd:${setup.dataVolumeIops}"`,
    'done',
    '[ -n "$DEVICE_FLAGS" ] || { echo "blockplane: no EBS data volume found" >&2; exit 1; }',
    `mkdir -p ${path.posix.dirname(HOST_PATHS.environmentFile)} ${path.posix.dirname(HOST_PATHS.agentBundle)}`,
    `cat > ${HOST_PATHS.outputsFile} <<'EOF'`,
    outputs,
    'EOF',
    `cat > ${HOST_PATHS.environmentFile} <<EOF`,
    'BLOCKPLANE_HOST_ID=$HOST_ID',
    'BLOCKPLANE_LOCATION=$LOCATION',
    'BLOCKPLANE_ADDRESS=$ADDRESS',
    'BLOCKPLANE_RACK=$RACK',
    'BLOCKPLANE_DEVICE_FLAGS=$DEVICE_FLAGS',
    `BLOCKPLANE_NBD_PORTS=${setup.nbdPorts.from}-${setup.nbdPorts.to}`,
    'BLOCKPLANE_HEARTBEAT_INTERVAL_MS=5000',
    'BLOCKPLANE_POLL_WAIT_SECONDS=10',
    `BLOCKPLANE_OUTPUTS=${HOST_PATHS.outputsFile}`,
    `AWS_REGION=${Aws.REGION}`,
    'EOF',
  ];
}
