/**
 * The storage network: the IPv4 CIDR block storage hosts serve NBD on (the fleet's VPC on
 * AWS, the local bridge's subnet on the local cloud). A host's address must be a usable
 * address inside it, never loopback, link-local, the block's network or broadcast address.
 */
export interface Ipv4Cidr {
  readonly network: number;
  readonly prefixLength: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function ipv4ToNumber(address: string): number | undefined {
  if (!IPV4.test(address)) return undefined;
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

const maskOf = (prefixLength: number) => (prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0);
const inBlock = (n: number, block: Ipv4Cidr) => ((n & maskOf(block.prefixLength)) >>> 0) === block.network;

/** Parses `a.b.c.d/len` with no host bits set; throws on anything else. */
export function parseIpv4Cidr(cidr: string): Ipv4Cidr {
  const [address, length, ...rest] = cidr.split('/');
  const network = ipv4ToNumber(address ?? '');
  const prefixLength = Number(length);
  if (rest.length > 0 || network === undefined || !/^\d{1,2}$/.test(length ?? '') || prefixLength < 8 || prefixLength > 30) {
    throw new Error(`storage network CIDR must look like 10.0.0.0/16 with a prefix length from 8 to 30; received ${JSON.stringify(cidr)}`);
  }
  if (((network & maskOf(prefixLength)) >>> 0) !== network) {
    throw new Error(`storage network CIDR ${cidr} has host bits set; the block starts at a network address`);
  }
  return { network, prefixLength };
}

const LOOPBACK = parseIpv4Cidr('127.0.0.0/8');
const LINK_LOCAL = parseIpv4Cidr('169.254.0.0/16');

/** Why `address` may not be a storage host's address in `block`, or undefined when it may. */
export function storageAddressProblem(address: string, block: Ipv4Cidr): string | undefined {
  const n = ipv4ToNumber(address);
  if (n === undefined) return `address must be an IPv4 address inside the storage network; received ${JSON.stringify(address)}`;
  if (inBlock(n, LOOPBACK)) return `address ${address} is a loopback address`;
  if (inBlock(n, LINK_LOCAL)) return `address ${address} is a link-local address`;
  if (!inBlock(n, block)) return `address ${address} is outside the storage network ${cidrText(block)}`;
  const broadcast = (block.network | ~maskOf(block.prefixLength)) >>> 0;
  if (n === block.network || n === broadcast) return `address ${address} is the network or broadcast address of ${cidrText(block)}`;
  return undefined;
}

function cidrText(block: Ipv4Cidr): string {
  const n = block.network;
  return `${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')}/${block.prefixLength}`;
}
