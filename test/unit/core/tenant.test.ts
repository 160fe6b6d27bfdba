import { classifyCaller, tenantOf } from '../../../core/tenant';

const HOST_PREFIX = 'arn:aws:sts::123456789012:assumed-role/blockplane-fleet/';
const LOCAL_HOST_PREFIX = 'arn:aws:iam::000000000000:user/blockplane-hosts/';

describe('tenantOf', () => {
  test('when the caller is an assumed-role session, it normalises it to the role ARN', () => {
    // Given
    const session = 'arn:aws:sts::123456789012:assumed-role/Admin/alice';
    // When
    const tenant = tenantOf(session);
    // Then
    expect(tenant).toBe('arn:aws:iam::123456789012:role/Admin');
  });

  test('when two sessions of one role call, it gives them one tenant', () => {
    // Given
    const alice = 'arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com';
    const bob = 'arn:aws:sts::123456789012:assumed-role/Admin/bob.builder';
    // When
    const tenants = [tenantOf(alice), tenantOf(bob)];
    // Then
    expect(tenants[0]).toBe(tenants[1]);
  });

  test('when two roles of one account call, it gives them different tenants', () => {
    // Given / When
    const admin = tenantOf('arn:aws:sts::123456789012:assumed-role/Admin/s');
    const reader = tenantOf('arn:aws:sts::123456789012:assumed-role/Reader/s');
    // Then
    expect(admin).not.toBe(reader);
  });

  test.each([
    ['aws-cn', 'arn:aws-cn:sts::123456789012:assumed-role/Ops/s1', 'arn:aws-cn:iam::123456789012:role/Ops'],
    ['aws-us-gov', 'arn:aws-us-gov:sts::123456789012:assumed-role/Ops/s1', 'arn:aws-us-gov:iam::123456789012:role/Ops'],
  ])('when the session is in partition %s, it keeps the partition', (_partition, session, role) => {
    // When
    const result = tenantOf(session);
    // Then
    expect(result).toBe(role);
  });

  test.each([
    ['an IAM user', 'arn:aws:iam::123456789012:user/carol'],
    ['an IAM user with a path', 'arn:aws:iam::123456789012:user/team/carol'],
    ['the account root', 'arn:aws:iam::123456789012:root'],
    ['a federated user', 'arn:aws:sts::123456789012:federated-user/dave'],
    ['an assumed role without a session name', 'arn:aws:sts::123456789012:assumed-role/Admin'],
  ])('when the caller is %s, it uses the principal ARN unchanged', (_name, principal) => {
    // When
    const result = tenantOf(principal);
    // Then
    expect(result).toBe(principal);
  });
});

describe('classifyCaller', () => {
  test('when the principal starts with the host prefix, it is a host with no tenant', () => {
    // Given
    const principal = `${HOST_PREFIX}i-0123456789abcdef0`;
    // When
    const caller = classifyCaller(principal, HOST_PREFIX);
    // Then
    expect(caller).toEqual({ kind: 'host', principalArn: principal });
  });

  test('when on the local cloud a user under the hosts path calls, it is a host', () => {
    // Given
    const principal = `${LOCAL_HOST_PREFIX}host-1`;
    // When
    const caller = classifyCaller(principal, LOCAL_HOST_PREFIX);
    // Then
    expect(caller.kind).toBe('host');
  });

  test('when a role whose name merely begins like the fleet role calls, it is a customer', () => {
    // Given
    const principal = 'arn:aws:sts::123456789012:assumed-role/blockplane-fleet-admin/mallory';
    // When
    const caller = classifyCaller(principal, HOST_PREFIX);
    // Then
    expect(caller).toEqual({
      kind: 'customer',
      principalArn: principal,
      tenantId: 'arn:aws:iam::123456789012:role/blockplane-fleet-admin',
    });
  });

  test('when any other principal calls, it is a customer whose tenant is the normalised role', () => {
    // Given
    const principal = 'arn:aws:sts::123456789012:assumed-role/Admin/alice';
    // When
    const caller = classifyCaller(principal, HOST_PREFIX);
    // Then
    expect(caller).toEqual({ kind: 'customer', principalArn: principal, tenantId: 'arn:aws:iam::123456789012:role/Admin' });
  });

  test.each([
    `${HOST_PREFIX}i-0123456789abcdef0`,
    `${LOCAL_HOST_PREFIX}host-1`,
    'arn:aws:iam::123456789012:root',
  ])('when the host prefix is empty, it never treats %s as a host', (principal) => {
    // Given
    const emptyPrefix = '';
    // When
    const caller = classifyCaller(principal, emptyPrefix);
    // Then
    expect(caller.kind).toBe('customer');
  });
});
