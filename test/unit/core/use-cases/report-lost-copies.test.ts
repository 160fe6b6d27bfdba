import { reportLostCopies } from '../../../../core/use-cases/detect-lost-copies';
import { RecordingFailoverWorkflows } from '../../fakes/recording-failover-workflows';

describe('reportLostCopies', () => {
  test('when copies are reported lost, it starts one fail-over per copy with its reason and the version it was judged at', async () => {
    // Given
    const failovers = new RecordingFailoverWorkflows();
    const losses = [
      { volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001', reason: 'daemon died', volumeVersion: 4 },
      { volumeId: 'vol-00000000000000002', copyId: 'cpy-000000000002', reason: 'replica stale', volumeVersion: 9 },
    ];
    // When
    await reportLostCopies(failovers, losses);
    // Then
    expect(failovers.started).toEqual(losses.map(({ volumeId, copyId, reason, volumeVersion }) => ({ volumeId, lostCopyId: copyId, reason, volumeVersion })));
  });
});
