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

const noPause = async () => undefined;

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
    expect(await new ConsoleApi(settings, fetcher, noPause).listEvents()).toEqual({ ok: false, status: 502, message: 'Bad Gateway' });
  });

  test.each([429, 502, 503, 504])('when a read is answered %i, it is sent again (after 0.5 s, then 1 s), signed again, and the first other answer is kept', async (status) => {
    const answers = [status, status, 200];
    const calls: Record<string, string>[] = [];
    const fetcher: Fetch = async (_url, init) => {
      calls.push(init.headers);
      return { status: answers[calls.length - 1], text: async () => (calls.length === 3 ? '{"volumes":[]}' : '{"message":"try again"}') };
    };
    const pauses: number[] = [];
    const answer = await new ConsoleApi(settings, fetcher, async (ms) => void pauses.push(ms)).listVolumes();
    expect(answer).toEqual({ ok: true, status: 200, body: { volumes: [] } });
    expect(pauses).toEqual([500, 1000]);
    expect(calls.map((headers) => headers.authorization)).toEqual([expect.stringMatching(/^AWS4-HMAC-SHA256 /), expect.stringMatching(/^AWS4-HMAC-SHA256 /), expect.stringMatching(/^AWS4-HMAC-SHA256 /)]);
  });

  test('a read is sent 3 times at most: the third transient answer is what the page shows', async () => {
    const { fetcher, calls } = answering(503, '{"message":"unavailable"}');
    expect(await new ConsoleApi(settings, fetcher, noPause).volumeHealth('vol-1')).toEqual({ ok: false, status: 503, message: 'unavailable' });
    expect(calls).toHaveLength(3);
  });

  test('a read answered 4xx or 500 is not sent again, nor is a write answered 502 (a create could be made twice)', async () => {
    for (const [status, call] of [[404, (api: ConsoleApi) => api.getVolume('vol-1')], [500, (api: ConsoleApi) => api.listReports()], [502, (api: ConsoleApi) => api.createVolume({ sizeGiB: 8, type: 'gp3', iops: 3000, location: 'az1' })]] as const) {
      const { fetcher, calls } = answering(status, '{"message":"no"}');
      expect(await call(new ConsoleApi(settings, fetcher, noPause))).toMatchObject({ ok: false, status });
      expect(calls).toHaveLength(1);
    }
  });

  test('when an id holds characters a path may not, it is encoded into one path segment', async () => {
    const { fetcher, calls } = answering(404, '{"message":"no"}');
    await new ConsoleApi(settings, fetcher).getVolume('../hosts');
    expect(calls[0].url).toBe('https://api.example/v1/volumes/..%2Fhosts');
  });
});
