import { clientAccessList, onlyAdds, unsharedKeyFor } from '../../../agent/tls/client-access-list';
import { generatePskKey } from '../../../agent/tls/psk-keys-file';

const A = generatePskKey('client-a');
const B = generatePskKey('client-b');

describe('clientAccessList', () => {
  test('when the control plane sends a list, the primary admits exactly that list (and an older single clientKey with it)', () => {
    // When / Then
    expect(clientAccessList('cpy-000000000001', undefined, [A, B])).toEqual([A, B]);
    expect(clientAccessList('cpy-000000000001', A, undefined)).toEqual([A]);
  });

  test('when the volume has no attachment, the primary admits only a key nobody was given, the same one every time', () => {
    // When
    const first = clientAccessList('cpy-000000000002', undefined, []);
    const again = clientAccessList('cpy-000000000002', undefined, undefined);
    // Then
    expect(first).toEqual([unsharedKeyFor('cpy-000000000002')]);
    expect(again).toEqual(first);
    expect(first[0]!.identity).toBe('nobody-cpy-000000000002');
    expect(unsharedKeyFor('cpy-000000000003').keyHex).not.toBe(first[0]!.keyHex);
  });
});

describe('onlyAdds', () => {
  test.each([
    ['a key is added', [A], [A, B], true],
    ['the list is the same', [A, B], [B, A], true],
    ['a key is removed', [A, B], [B], false],
    ['a key is replaced under the same identity', [A], [{ ...A, keyHex: B.keyHex }], false],
  ])('when %s, it answers %s', (_name, current, next, expected) => {
    // When / Then
    expect(onlyAdds(current, next)).toBe(expected);
  });
});
