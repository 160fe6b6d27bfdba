import { ConsoleApi, type Fetch } from '../../../console/src/console-api';

const settings = { apiUrl: 'https://api.example/v1', region: 'us-east-1', credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' } };

function answering(status: number, text: string): { fetcher: Fetch; calls: { url: string; method: string; body?: string }[] } {
  const calls: { url: string; method: string; body?: string }[] = [];
  const fetcher: Fetch = async (url, init) => {
    calls.push({ url, method: init.method, body: init.body });
    return { status, text: async () => text };
  };
  return { fetcher, calls };
}

describe('ConsoleApi', () => {
  test('when the API answers 2xx, the body is parsed and the call went to the named route, signed', async () => {
    const { fetcher, calls } = answering(200, '{"volumes":[],"nextToken":"t"}');
    const answer = await new ConsoleApi(settings, fetcher).listVolumes();
    expect(answer).toEqual({ ok: true, status: 200, body: { volumes: [], nextToken: 't' } });
    expect(calls).toEqual([{ url: 'https://api.example/v1/volumes', method: 'GET', body: undefined }]);
  });

  test('when the API answers an error, its message is kept with the status', async () => {
    const { fetcher } = answering(403, '{"code":"Forbidden","message":"operators only","details":{}}');
    expect(await new ConsoleApi(settings, fetcher).createComplianceReport({ scope: {}, from: 'a', to: 'b', format: 'html' })).toEqual({ ok: false, status: 403, message: 'operators only' });
  });

  test('when an error answer is not JSON, its text (cut short) is the message', async () => {
    const { fetcher } = answering(502, 'Bad Gateway');
    expect(await new ConsoleApi(settings, fetcher).listEvents()).toEqual({ ok: false, status: 502, message: 'Bad Gateway' });
  });

  test('when an id holds characters a path may not, it is encoded into one path segment', async () => {
    const { fetcher, calls } = answering(404, '{"message":"no"}');
    await new ConsoleApi(settings, fetcher).getVolume('../hosts');
    expect(calls[0].url).toBe('https://api.example/v1/volumes/..%2Fhosts');
  });
});
