import { InvalidRequestError } from '../../../core/errors';
import { openPageToken, sealPageToken } from '../../../core/page-token';

const SECRET = Buffer.from('a-test-secret-for-page-tokens');
const KEY = { pk: 'snapshot#snap-1', startedAt: '2026-12-01T00:00:00.000Z' };

describe('page tokens', () => {
  test('when a token is opened for the listing it was sealed for, it gives the key back', () => {
    // Given
    const scope = { tenantId: 'tenant-a', listing: 'snapshots of vol-1' };
    // When
    const key = openPageToken(sealPageToken(KEY, scope, SECRET), scope, SECRET);
    // Then
    expect(key).toEqual(KEY);
  });

  // Pins the 500 schemathesis found on GET /volumes/{id}/snapshots: a start key of the tenant's
  // listing (another index) or of another volume's listing (another partition) reached DynamoDB.
  test.each([
    ['the tenant listing', { tenantId: 'tenant-a', listing: 'snapshots' }],
    ["another volume's listing", { tenantId: 'tenant-a', listing: 'snapshots of vol-2' }],
    ['another tenant', { tenantId: 'tenant-b', listing: 'snapshots of vol-1' }],
  ])('when a token sealed for one listing is opened for %s, it is refused', (_what, other) => {
    // Given
    const token = sealPageToken(KEY, { tenantId: 'tenant-a', listing: 'snapshots of vol-1' }, SECRET);
    // When / Then
    expect(() => openPageToken(token, other, SECRET)).toThrow(InvalidRequestError);
  });
});
