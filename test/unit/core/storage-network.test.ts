import { parseIpv4Cidr, storageAddressProblem } from '../../../core/storage-network';

const LOCAL = parseIpv4Cidr('10.77.0.0/24');

describe('storage network addresses', () => {
  test.each(['10.77.0.11', '10.77.0.1', '10.77.0.254'])('when %s is inside 10.77.0.0/24, it is accepted', (address) => {
    expect(storageAddressProblem(address, LOCAL)).toBeUndefined();
  });

  test.each([
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['10.77.1.5', 'outside the storage network 10.77.0.0/24'],
    ['10.77.0.0', 'network or broadcast'],
    ['10.77.0.255', 'network or broadcast'],
    ['storage-1.example', 'must be an IPv4 address'],
    ['::1', 'must be an IPv4 address'],
    ['010.77.0.5', 'must be an IPv4 address'],
  ])('when the address is %s, it is refused as %s', (address, problem) => {
    expect(storageAddressProblem(address, LOCAL)).toContain(problem);
  });

  test.each(['10.0.0.0', '10.0.0.1/16', '10.0.0.0/33', '10.0.0.0/4', '10.0.0.0/16/1', 'any'])('when the CIDR is %s, it is refused', (cidr) => {
    expect(() => parseIpv4Cidr(cidr)).toThrow(/storage network CIDR/);
  });
});
