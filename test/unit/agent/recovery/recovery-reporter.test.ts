import { RecoveryNotAcceptedError, sendRecoveryReport } from '../../../../agent/recovery/recovery-reporter';
import type { SignedResponse } from '../../../../client/signed-http';
import type { ScannedCopy } from '../../../../core/recovery/recovery-report';

const copy = (n: number): ScannedCopy => ({
  volumeId: `vol-${n.toString(16).padStart(17, '0')}`,
  copyId: `cpy-${n.toString(16).padStart(12, '0')}`,
  role: 'primary',
  generation: 1,
  sizeBytes: 1024 * 1024,
  health: { readable: true, metadataConsistent: true },
  digest: { algorithm: 'sha256-64', chunkBytes: 1024 * 1024, chunks: ['00000000000000aa'] },
});

/** Answers each request with the next scripted response; records the bodies. */
function scripted(responses: SignedResponse[]) {
  const bodies: Array<{ copies: ScannedCopy[]; final: boolean }> = [];
  return {
    bodies,
    http: {
      request: async (_method: string, _path: string, body?: unknown): Promise<SignedResponse> => {
        const { copies, final } = body as { copies: ScannedCopy[]; final: boolean };
        bodies.push({ copies, final });
        const next = responses.shift();
        if (next) return next;
        return { status: 200, text: '', body: { copies: copies.map((c) => ({ volumeId: c.volumeId, copyId: c.copyId, verdict: 'authoritative', rule: 'sole-survivor', action: 'hold-read-only' })) } };
      },
    },
  };
}

describe('sendRecoveryReport', () => {
  test('when the batch is full (429), it waits exactly the Retry-After and sends the same page again', async () => {
    // Given
    const { http, bodies } = scripted([{ status: 429, text: '', body: {}, retryAfter: '7' }]);
    const waits: number[] = [];
    // When
    const outcome = await sendRecoveryReport({ http, hostId: 'host-a', wait: async (ms) => void waits.push(ms) }, 'unclean-shutdown', [copy(1)]);
    // Then
    expect(waits).toEqual([7_000]);
    expect(bodies).toHaveLength(2);
    expect(outcome).toMatchObject({ attempts: 2, throttled: 1, verdicts: [{ copyId: copy(1).copyId, action: 'hold-read-only' }] });
  });

  test('when the control plane cannot be reached or fails, it retries with a bounded backoff until answered', async () => {
    // Given
    const { http } = scripted([{ status: 500, text: 'boom', body: {} }, { status: 502, text: '', body: {} }]);
    const waits: number[] = [];
    // When
    await sendRecoveryReport({ http, hostId: 'host-a', wait: async (ms) => void waits.push(ms) }, 'unclean-shutdown', [copy(1)]);
    // Then: 1 s then 2 s, each ±20 %
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(800);
    expect(waits[0]).toBeLessThanOrEqual(1_200);
    expect(waits[1]).toBeGreaterThanOrEqual(1_600);
    expect(waits[1]).toBeLessThanOrEqual(2_400);
  });

  test('when there are more copies than a page holds, it sends pages of 32 and only the last is final', async () => {
    // Given
    const { http, bodies } = scripted([]);
    // When
    const outcome = await sendRecoveryReport({ http, hostId: 'host-a' }, 'unclean-shutdown', Array.from({ length: 70 }, (_, n) => copy(n + 1)));
    // Then
    expect(bodies.map((b) => [b.copies.length, b.final])).toEqual([[32, false], [32, false], [6, true]]);
    expect(outcome.verdicts).toHaveLength(70);
  });

  test('when the control plane does not know the host (404), it gives up with RecoveryNotAcceptedError instead of retrying for ever', async () => {
    // Given
    const { http } = scripted([{ status: 404, text: 'host host-a is not registered', body: {} }]);
    // When / Then
    await expect(sendRecoveryReport({ http, hostId: 'host-a', wait: async () => undefined }, 'unclean-shutdown', [copy(1)])).rejects.toBeInstanceOf(RecoveryNotAcceptedError);
  });
});
