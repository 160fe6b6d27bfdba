import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { SpecDocumentSchema } from '../../core/audit/spec';
import { changesToReach } from '../../core/audit/spec-changes';
import { publishSpecChange } from '../../core/audit/use-cases/publish-spec-change';
import { specStore } from '../shared/audit-composition';
import { now } from '../shared/composition';
import { logger } from '../shared/logger';

const specs = specStore();

/** The author deploys write into the change log. */
export const DEPLOY_AUTHOR = 'deploy:spec/blockplane.json';

/**
 * The deploy-time loader (a CloudFormation custom resource): publishes the repository spec
 * (`spec/blockplane.json`, the `Spec` property) as the next version when it differs from the
 * current one, as the add/modify/remove changes between them; delete leaves the versions.
 */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let reason = '';
  let version = 0;
  try {
    if (event.RequestType !== 'Delete') {
      const document = SpecDocumentSchema.parse(JSON.parse(String(event.ResourceProperties.Spec)));
      const current = await specs.current();
      const changes = changesToReach(current, document);
      version = current?.version ?? 0;
      if (changes.length > 0) version = (await publishSpecChange(specs, { changes, reason: 'deployed spec/blockplane.json' }, DEPLOY_AUTHOR, now())).version;
    }
  } catch (error) {
    status = 'FAILED';
    reason = (error as Error).message.slice(0, 500);
    logger.error('loading the repository spec failed', { error: error as Error });
  }
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    headers: { 'content-type': '' },
    body: JSON.stringify({
      Status: status,
      Reason: reason || `spec version ${version}`,
      PhysicalResourceId: 'blockplane-spec',
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      Data: { Version: String(version) },
    }),
  });
  if (!response.ok) throw new Error(`CloudFormation response PUT answered ${response.status}`);
}
