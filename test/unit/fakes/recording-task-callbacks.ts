import type { TaskCallbacks } from '../../../core/ports';

export type TaskCallback =
  | { readonly kind: 'succeed'; readonly taskToken: string; readonly output: Record<string, unknown> }
  | { readonly kind: 'fail'; readonly taskToken: string; readonly error: string; readonly cause: string }
  | { readonly kind: 'heartbeat'; readonly taskToken: string };

/** Records task completions; `answer` is what the workflow service would report. */
export class RecordingTaskCallbacks implements TaskCallbacks {
  readonly calls: TaskCallback[] = [];
  answer: 'delivered' | 'expired' = 'delivered';

  async succeed(taskToken: string, output: Record<string, unknown>): Promise<'delivered' | 'expired'> {
    this.calls.push({ kind: 'succeed', taskToken, output });
    return this.answer;
  }

  async fail(taskToken: string, error: string, cause: string): Promise<'delivered' | 'expired'> {
    this.calls.push({ kind: 'fail', taskToken, error, cause });
    return this.answer;
  }

  async heartbeat(taskToken: string): Promise<'delivered' | 'expired'> {
    this.calls.push({ kind: 'heartbeat', taskToken });
    return this.answer;
  }
}
