import { defaultApiUrl, pageOf } from '../../../console/src/console-location';

describe('console location', () => {
  test.each([
    ['http://127.0.0.1:4572/restapis/abc/v1/_user_request_/console/index.html', 'http://127.0.0.1:4572/restapis/abc/v1/_user_request_'],
    ['https://abc.execute-api.us-east-1.amazonaws.com/v1/console/index.html#snapshots', 'https://abc.execute-api.us-east-1.amazonaws.com/v1'],
    ['https://abc.execute-api.us-east-1.amazonaws.com/v1/console', 'https://abc.execute-api.us-east-1.amazonaws.com/v1'],
  ])('when the page is %s, the API is %s', (page, api) => {
    expect(defaultApiUrl(page)).toBe(api);
  });

  test.each([['#snapshots', 'snapshots'], ['#compliance', 'compliance'], ['', 'volumes'], ['#nope', 'volumes'], ['#constructor', 'volumes']])('when the hash is %p, the page is %s', (hash, page) => {
    expect(pageOf(hash)).toBe(page);
  });
});
