/**
 * Names that reach paths, znodes and argv (TEST-PLANS B13, S6; Storm CVE-2021-38294).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import { InvalidNameError, isSafeName, MAX_NAME_LENGTH, nameProblem, validateName } from '../../src/packages/names.js';

describe('topology and component names', () => {
  it('accepts what NAME_PATTERN accepts', () => {
    for (const ok of ['wordcount', 'word-count.v2', 'a_b', '9lives', 'x'.repeat(MAX_NAME_LENGTH), 'a..b']) {
      assert.equal(validateName('topology', ok), ok);
      assert.ok(isSafeName(ok));
    }
  });

  const refused: Array<[unknown, RegExp]> = [
    ['', /empty/],
    ['x'.repeat(MAX_NAME_LENGTH + 1), /129 characters long/],
    ['-rf', /starts with "-"/],
    ['--help', /starts with "-"/],
    ['../../x', /path separator/],
    ['a/b', /path separator/],
    ['a\\b', /path separator/],
    ['..', /relative path component/],
    ['.', /relative path component/],
    ['$(touch /tmp/pwn)', /path separator/],
    ['$(id)', /shell metacharacter/],
    ['a;id', /shell metacharacter/],
    ['a|b', /shell metacharacter/],
    ['`id`', /shell metacharacter/],
    ['<script>', /shell metacharacter/],
    ['a b', /shell metacharacter or whitespace/],
    ['a\nb', /control character/],
    ['a\u0000b', /control character/],
    ['.hidden', /must start with a letter or digit/],
    ['__acker', /must start with a letter or digit/],
    ['naïve', /must start with a letter or digit and use only/],
    [42, /expected a string, got number/],
    [null, /got null/],
  ];
  for (const [value, why] of refused) {
    it(`refuses ${JSON.stringify(value)}`, () => {
      assert.equal(isSafeName(value), false);
      assert.match(nameProblem(value)!, why);
      assert.throws(() => validateName('component', value), (e: unknown) => {
        assert.ok(e instanceof InvalidNameError);
        assert.ok(e instanceof UsageError, 'a usage error: the CLI exits 2');
        assert.equal(e.code, 'E_INVALID_NAME');
        assert.equal(e.kind, 'component');
        assert.match(e.message, /^invalid component name /);
        assert.ok(!e.message.includes('\n'), 'control characters are escaped in the message');
        assert.match(e.hint ?? '', /letters, digits/);
        return true;
      });
    });
  }
});
