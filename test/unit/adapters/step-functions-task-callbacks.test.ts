import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsTaskCallbacks } from '../../../adapters/step-functions-task-callbacks';

function clientAnswering(answers: Record<string, () => unknown>) {
  const sent: string[] = [];
  const client = {
    send: async (command: unknown) => {
      const name = (command as object).constructor.name;
      sent.push(name);
      return answers[name]?.() ?? {};
    },
  } as unknown as SFNClient;
  return { client, sent };
}

const fails = (name: string) => () => {
  throw Object.assign(new Error(name), { name });
};

describe('StepFunctionsTaskCallbacks', () => {
  test('pins issue 7: when Step Functions refuses the success output (InvalidOutput), the task is failed with the reason instead of left to time out', async () => {
    // Given
    const { client, sent } = clientAnswering({ [SendTaskSuccessCommand.name]: fails('InvalidOutput') });
    // When
    const answer = await new StepFunctionsTaskCallbacks(client).succeed('token', { huge: 'x' });
    // Then
    expect(answer).toBe('delivered');
    expect(sent).toEqual([SendTaskSuccessCommand.name, SendTaskFailureCommand.name]);
  });

  test('when the task is gone (timed out, or completed before), the callback reports expired', async () => {
    const { client } = clientAnswering({ [SendTaskSuccessCommand.name]: fails('TaskTimedOut'), [SendTaskHeartbeatCommand.name]: fails('TaskDoesNotExist') });
    const callbacks = new StepFunctionsTaskCallbacks(client);
    expect(await callbacks.succeed('token', {})).toBe('expired');
    expect(await callbacks.heartbeat('token')).toBe('expired');
  });

  test('when sending fails for another reason, it throws so the host retries its post', async () => {
    const { client } = clientAnswering({ [SendTaskSuccessCommand.name]: fails('ThrottlingException') });
    await expect(new StepFunctionsTaskCallbacks(client).succeed('token', {})).rejects.toThrow('ThrottlingException');
  });
});
