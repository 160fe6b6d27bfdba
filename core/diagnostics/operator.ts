import { ForbiddenError } from '../errors';

/**
 * Operators are the principals whose ARN starts with the deployment's operator prefix
 * (`operatorPrincipalArnPrefix`); they read the review queue and manage global known issues.
 * An empty prefix means no caller is an operator.
 */
export function requireOperator(principalArn: string, operatorPrincipalArnPrefix: string): void {
  if (operatorPrincipalArnPrefix === '' || !principalArn.startsWith(operatorPrincipalArnPrefix)) {
    throw new ForbiddenError('only operators may call this route');
  }
}
