import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ReportWorkflows } from '../core/audit/ports';

/** Starts render-compliance-report for one report; the execution is named after it, so a retry cannot render it twice. */
export class StepFunctionsReportWorkflows implements ReportWorkflows {
  constructor(
    private readonly stateMachineArn: string,
    private readonly sfn: SFNClient = new SFNClient({}),
  ) {}

  async start(reportId: string): Promise<void> {
    await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: reportId, input: JSON.stringify({ reportId }) }));
  }
}
