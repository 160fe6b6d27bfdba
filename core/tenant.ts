/**
 * Who is calling. Every route is IAM-authenticated; the principal ARN decides whether the
 * caller is a storage host or a customer, and which tenant a customer belongs to.
 */
export type Caller =
  | { readonly kind: 'host'; readonly principalArn: string }
  | { readonly kind: 'customer'; readonly principalArn: string; readonly tenantId: string };

const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/** All sessions of one role are one tenant: `assumed-role/R/session` becomes `role/R`. */
export function tenantOf(principalArn: string): string {
  const session = ASSUMED_ROLE.exec(principalArn);
  if (!session) return principalArn;
  const [, partition, account, role] = session;
  return `arn:${partition}:iam::${account}:role/${role}`;
}

export function classifyCaller(principalArn: string, hostPrincipalArnPrefix: string): Caller {
  if (hostPrincipalArnPrefix !== '' && principalArn.startsWith(hostPrincipalArnPrefix)) {
    return { kind: 'host', principalArn };
  }
  return { kind: 'customer', principalArn, tenantId: tenantOf(principalArn) };
}
