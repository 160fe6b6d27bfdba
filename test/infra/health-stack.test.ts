import type { Template } from 'aws-cdk-lib/assertions';
import { EVALUATOR_TIMEOUT_SECONDS, NOTICE_CLAIM_SECONDS } from '../../core/health/notice-outbox';
import { SYNTH_TIMEOUT_MS, blockplane } from './synth';

let health: Template;
beforeAll(() => {
  health = blockplane().byStack.BlockplaneHealth as Template;
}, SYNTH_TIMEOUT_MS);

describe('BlockplaneHealth', () => {
  test('a claim on a notice outlasts the evaluator as deployed: the function times out at EVALUATOR_TIMEOUT_SECONDS, a claim lasts longer', () => {
    const evaluators = Object.values(health.findResources('AWS::Lambda::Function')).filter((fn: any) => String(fn.Properties.Description).startsWith('Scheduled: health of every component'));
    expect(evaluators).toHaveLength(1);
    expect((evaluators[0] as any).Properties.Timeout).toBe(EVALUATOR_TIMEOUT_SECONDS);
    expect(NOTICE_CLAIM_SECONDS).toBeGreaterThan(EVALUATOR_TIMEOUT_SECONDS);
  });
});
