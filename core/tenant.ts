import { UnauthenticatedError } from './errors';

/**
 * Who is calling. Every route is IAM-authenticated; the principal ARN decides whether the
 * caller is a storage host or a customer, and the principal's unique id which tenant a
 * customer belongs to.
 */
export type Caller =
  | { readonly kind: 'host'; readonly principalArn: string }
  | { readonly kind: 'customer'; readonly principalArn: string; readonly tenantId: string };

/** `AIDA…` (a user), `AROA…:session` (a role's session), an account id (the root). */
const PRINCIPAL_ID = /^([A-Za-z0-9]{12,128})(:[\x21-\x7e]{1,128})?$/;

/**
 * The tenant is the principal's unique id, never its name: an IAM user's id (`AIDA…`), or the
 * role id (`AROA…`) for every session of one role. A user or role deleted and created again
 * under the same name gets a new id, so it does not inherit the old one's volumes.
 */
export function tenantOf(principalId: string): string {
  const match = PRINCIPAL_ID.exec(principalId);
  if (!match) throw new UnauthenticatedError('request carries no IAM principal id', { principalId });
  return match[1];
}

export function classifyCaller(principalArn: string, principalId: string | undefined, hostPrincipalArnPrefix: string): Caller {
  if (hostPrincipalArnPrefix !== '' && principalArn.startsWith(hostPrincipalArnPrefix)) {
    return { kind: 'host', principalArn };
  }
  return { kind: 'customer', principalArn, tenantId: tenantOf(principalId ?? '') };
}
