import { UnauthenticatedError } from '../../../core/errors';
import { classifyCaller, tenantOf } from '../../../core/tenant';

const HOST_PREFIX = 'arn:aws:sts::123456789012:assumed-role/blockplane-fleet/';
const LOCAL_HOST_PREFIX = 'arn:aws:iam::000000000000:user/blockplane-hosts/';
const ROLE_ID = 'AROAEXAMPLEROLEID0001';

describe('tenantOf', () => {
  test('when the caller is a session of a role, the tenant is the role id, the same for every session', () => {
    // Given
    const sessions = [`${ROLE_ID}:alice@example.com`, `${ROLE_ID}:bob.builder`];
    // When
    const tenants = sessions.map(tenantOf);
    // Then
    expect(tenants).toEqual([ROLE_ID, ROLE_ID]);
  });

  test('when the caller is an IAM user, the tenant is its user id', () => {
    expect(tenantOf('AIDAEXAMPLEUSERID0001')).toBe('AIDAEXAMPLEUSERID0001');
  });

  test('when a role is deleted and created again under the same name, its new id is another tenant', () => {
    // Given: pins issue 7 "a recreated role inherits the old one's volumes"; the name is the same, the id is not
    const before = tenantOf('AROAOLDROLEID00000001:s');
    const after = tenantOf('AROANEWROLEID00000002:s');
    // Then
    expect(before).not.toBe(after);
  });

  test.each(['', 'arn:aws:iam::123456789012:user/carol', 'AIDA short', ':session'])('when the principal id is %p, it answers Unauthenticated', (principalId) => {
    expect(() => tenantOf(principalId)).toThrow(UnauthenticatedError);
  });
});

describe('classifyCaller', () => {
  test('when the principal starts with the host prefix, it is a host with no tenant', () => {
    // Given
    const principal = `${HOST_PREFIX}i-0123456789abcdef0`;
    // When
    const caller = classifyCaller(principal, `${ROLE_ID}:i-0123456789abcdef0`, HOST_PREFIX);
    // Then
    expect(caller).toEqual({ kind: 'host', principalArn: principal });
  });

  test('when on the local cloud a user under the hosts path calls, it is a host', () => {
    expect(classifyCaller(`${LOCAL_HOST_PREFIX}host-1`, 'AIDAHOSTUSERID000001', LOCAL_HOST_PREFIX).kind).toBe('host');
  });

  test('when a role whose name merely begins like the fleet role calls, it is a customer whose tenant is its role id', () => {
    // Given
    const principal = 'arn:aws:sts::123456789012:assumed-role/blockplane-fleet-admin/mallory';
    // When
    const caller = classifyCaller(principal, `${ROLE_ID}:mallory`, HOST_PREFIX);
    // Then
    expect(caller).toEqual({ kind: 'customer', principalArn: principal, tenantId: ROLE_ID });
  });

  test('when a customer carries no principal id, it answers Unauthenticated', () => {
    expect(() => classifyCaller('arn:aws:sts::123456789012:assumed-role/Admin/alice', undefined, HOST_PREFIX)).toThrow(UnauthenticatedError);
  });

  test.each([
    `${HOST_PREFIX}i-0123456789abcdef0`,
    `${LOCAL_HOST_PREFIX}host-1`,
    'arn:aws:iam::123456789012:root',
  ])('when the host prefix is empty, it never treats %s as a host', (principal) => {
    expect(classifyCaller(principal, '123456789012', '').kind).toBe('customer');
  });
});
