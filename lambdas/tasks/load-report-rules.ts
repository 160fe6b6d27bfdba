import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { RuleSchema } from '../../core/diagnostics/rule';
import { now } from '../shared/composition';
import { logger } from '../shared/logger';
import { knownIssueStore } from '../shared/report-composition';

const issues = knownIssueStore();
const RulesSchema = z.array(RuleSchema).max(5_000);

/**
 * The deploy-time loader (a CloudFormation custom resource): on create and update it stores each
 * repository rule (`rules/known-issues/*.json`, passed as the `Rules` property) as a new global
 * version when its content changed; delete leaves the rules (the table is retained too).
 */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let reason = '';
  let loaded = 0;
  try {
    if (event.RequestType !== 'Delete') {
      const rules = RulesSchema.parse(JSON.parse(String(event.ResourceProperties.Rules)));
      for (const rule of rules) await issues.putIfChanged(rule, now());
      loaded = rules.length;
    }
  } catch (error) {
    status = 'FAILED';
    reason = (error as Error).message.slice(0, 500);
    logger.error('loading known-issue rules failed', { error: error as Error });
  }
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    headers: { 'content-type': '' },
    body: JSON.stringify({
      Status: status,
      Reason: reason || `loaded ${loaded} rules`,
      PhysicalResourceId: 'known-issue-rules',
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      Data: { Loaded: String(loaded) },
    }),
  });
  if (!response.ok) throw new Error(`CloudFormation response PUT answered ${response.status}`);
}
