import { randomUUID } from 'node:crypto';
import { ok, type VolumeView } from '../../client/blockplane-api';
import { identities, volumesAs } from './support/local-cloud';
import { volumesTableItemCount } from './support/tables';

jest.setTimeout(60_000);

const tenantA = volumesAs('a');
const tenantB = volumesAs('b');

type ErrorBody = { code: string; message: string; details: unknown };

describe('bad input answers 4xx, never 500 (issue 7)', () => {
  // Pins issue 7: two creates racing with one client token could lose the transaction to a
  // conflict, find no token yet and answer 500.
  test('when eight creates with one client token race, every one answers 202 with the same volume', async () => {
    // Given
    const request = { sizeGiB: 1, type: 'hdd' as const, location: `race-${randomUUID().slice(0, 8)}`, clientToken: randomUUID() };
    // When
    const answers = await Promise.all(Array.from({ length: 8 }, () => tenantA.create(request)));
    // Then
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(202));
    expect(new Set(answers.map((answer) => (answer.body as VolumeView).volumeId)).size).toBe(1);
  });

  // Pins issue 7: an unsigned base64 JSON key of the right shape reached DynamoDB and answered 500.
  test('when nextToken is an unsigned key of the right shape with wrong attributes, it answers 400', async () => {
    // Given: the caller's own tenant id and string pk and createdAt, as the old check wanted, but no valid key
    const forged = Buffer.from(JSON.stringify({ pk: 'VOLUME#x', sk: 7, tenantId: identities.tenants.a.arn, createdAt: 'now' })).toString('base64url');
    // When
    const response = await tenantA.http.request('GET', `/volumes?nextToken=${forged}`);
    // Then
    expect(response.status).toBe(400);
    expect((response.body as ErrorBody).code).toBe('ValidationError');
  });

  test("when one tenant replays another tenant's nextToken, it answers 400", async () => {
    // Given: two volumes, so a page of one has a nextToken
    const location = `page-${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 2; i += 1) expect((await tenantA.create({ sizeGiB: 1, type: 'hdd', location })).status).toBe(202);
    const page = ok<{ nextToken?: string }>(await tenantA.list({ location, limit: '1' }));
    expect(page.nextToken).toBeDefined();
    // When
    const replayed = await tenantB.http.request('GET', `/volumes?limit=1&nextToken=${encodeURIComponent(page.nextToken!)}`);
    // Then
    expect(replayed.status).toBe(400);
  });

  test.each([
    ['GET', '/volumes/vol-00000000000000000', '{}'],
    ['DELETE', '/volumes/vol-00000000000000000', '{"force":true}'],
    ['POST', '/volumes/vol-00000000000000000/attachments', '{"x":1}'],
  ])('when %s %s gets a body, it answers 400 and changes nothing', async (method, path, body) => {
    // Given
    const before = await volumesTableItemCount();
    // When
    const response = await tenantA.http.request(method, path, body);
    // Then
    expect(response.status).toBe(400);
    expect((response.body as ErrorBody).message).toContain('takes no request body');
    expect(await volumesTableItemCount()).toBe(before);
  });

  test.each([
    ['GET', '/volumes/vol-00000000000000000?verbose=1'],
    ['POST', '/volumes?dryRun=true'],
  ])('when %s %s carries a query string the route does not take, it answers 400', async (method, path) => {
    // Given
    const before = await volumesTableItemCount();
    // When
    const response = await tenantA.http.request(method, path, method === 'POST' ? { sizeGiB: 1, type: 'hdd', location: 'zone-q' } : undefined);
    // Then
    expect(response.status).toBe(400);
    expect((response.body as ErrorBody).message).toContain('takes no query parameters');
    expect(await volumesTableItemCount()).toBe(before);
  });
});
