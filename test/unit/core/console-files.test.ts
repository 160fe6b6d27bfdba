import { CONSOLE_ENTRY, consoleFile } from '../../../core/console-files';
import { NotFoundError } from '../../../core/errors';

describe('consoleFile', () => {
  test.each([
    ['index.html', false, 'index.html', 'text/html; charset=utf-8'],
    ['index-B7oFdWNU.js', true, 'assets/index-B7oFdWNU.js', 'text/javascript; charset=utf-8'],
    ['index-Dxxw8C2l.css', true, 'assets/index-Dxxw8C2l.css', 'text/css; charset=utf-8'],
    ['logo.SVG', true, 'assets/logo.SVG', 'image/svg+xml'],
  ])('when %s is asked for (assets: %p), it is the object %s served as %s', (file, inAssets, key, contentType) => {
    expect(consoleFile(file, inAssets)).toEqual({ key, contentType });
  });

  test.each([undefined, '', '..', '..html', 'a..js', '.env.json', 'index', 'index.php', 'x.exe', 'a/b.js', '%2e%2e.js', 'a'.repeat(129) + '.js'])(
    'when %p is asked for, it is not found and never read',
    (file) => {
      expect(() => consoleFile(file, false)).toThrow(NotFoundError);
      expect(() => consoleFile(file, true)).toThrow(NotFoundError);
    },
  );

  test('the entry redirect is relative, so it works under any stage path', () => {
    expect(CONSOLE_ENTRY).toBe('console/index.html');
    expect(new URL(CONSOLE_ENTRY, 'https://api.example/v1/console').toString()).toBe('https://api.example/v1/console/index.html');
  });
});
