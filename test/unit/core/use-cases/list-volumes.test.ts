import { InvalidRequestError } from '../../../../core/errors';
import { listVolumes } from '../../../../core/use-cases/list-volumes';
import { aVolume, OTHER_TENANT, TENANT } from '../../fakes/builders';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';

const SECRET = Buffer.from('a-test-secret-for-page-tokens');

function given(count: number) {
  const volumes = new InMemoryVolumeRepository();
  const mine = Array.from({ length: count }, (_, i) =>
    volumes.put(aVolume({ tenantId: TENANT, createdAt: `2026-01-01T00:00:0${i}.000Z` })),
  );
  volumes.put(aVolume({ tenantId: OTHER_TENANT }));
  return { deps: { volumes, pageTokenSecret: async () => SECRET }, mine };
}

describe('listVolumes', () => {
  test("when two tenants have volumes, it lists only the caller's", async () => {
    // Given
    const { deps, mine } = given(1);
    // When
    const page = await listVolumes(deps, TENANT, { limit: 50 });
    // Then
    expect(page.volumes.map((v) => v.volumeId)).toEqual([mine[0].volumeId]);
    expect(page.nextToken).toBeUndefined();
  });

  test('when the caller follows nextToken, it gets each volume once', async () => {
    // Given
    const { deps, mine } = given(3);
    // When
    const first = await listVolumes(deps, TENANT, { limit: 2 });
    const second = await listVolumes(deps, TENANT, { limit: 2, nextToken: first.nextToken });
    // Then
    expect([...first.volumes, ...second.volumes].map((v) => v.volumeId).sort()).toEqual(mine.map((v) => v.volumeId).sort());
    expect(second.nextToken).toBeUndefined();
  });

  // Pins issue 7: an unsigned base64 JSON key of the right shape reached DynamoDB and answered 500.
  test.each([
    ['an unsigned key of the right shape', Buffer.from(JSON.stringify({ offset: 1 })).toString('base64url')],
    ['a key with a forged signature', `${Buffer.from(JSON.stringify({ offset: 1 })).toString('base64url')}.AAAA`],
    ['not base64 at all', '!!!'],
    ['an empty string', ''],
  ])('when nextToken is %s, it refuses it with a validation error and reads nothing', async (_what, nextToken) => {
    // Given
    const { deps } = given(3);
    const listByTenant = jest.spyOn(deps.volumes, 'listByTenant');
    // When
    const listing = listVolumes(deps, TENANT, { limit: 2, nextToken });
    // Then
    await expect(listing).rejects.toBeInstanceOf(InvalidRequestError);
    expect(listByTenant).not.toHaveBeenCalled();
  });

  test("when another tenant replays a caller's nextToken, or one byte of it changes, it is refused", async () => {
    // Given
    const { deps } = given(3);
    const { nextToken } = await listVolumes(deps, TENANT, { limit: 1 });
    const [payload, mac] = nextToken!.split('.');
    const altered = `${Buffer.from(JSON.stringify({ offset: 2 })).toString('base64url')}.${mac}`;
    // When / Then
    await expect(listVolumes(deps, OTHER_TENANT, { limit: 1, nextToken })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(listVolumes(deps, TENANT, { limit: 1, nextToken: altered })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(listVolumes(deps, TENANT, { limit: 1, nextToken: `${payload}.${mac}` })).resolves.toBeDefined();
  });

  // Pins the 500 schemathesis found: a position in one listing is not a start key of another.
  test('when a token from a listing with other filters is replayed, it is refused; a new page size is accepted', async () => {
    // Given
    const { deps } = given(3);
    const { nextToken } = await listVolumes(deps, TENANT, { limit: 1 });
    const listByTenant = jest.spyOn(deps.volumes, 'listByTenant');
    // When / Then
    await expect(listVolumes(deps, TENANT, { limit: 1, type: 'ssd', nextToken })).rejects.toBeInstanceOf(InvalidRequestError);
    expect(listByTenant).not.toHaveBeenCalled();
    await expect(listVolumes(deps, TENANT, { limit: 2, nextToken })).resolves.toBeDefined();
  });
});
