import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textOf } from '../../src/common/text.js';

test('textOf writes scalars as String does and objects as JSON, never [object Object]', () => {
  assert.equal(textOf('m1'), 'm1');
  assert.equal(textOf(42), '42');
  assert.equal(textOf(12345678901234567890n), '12345678901234567890');
  assert.equal(textOf(true), 'true');
  assert.equal(textOf(undefined), 'undefined');
  assert.equal(textOf(null), 'null');
  assert.equal(textOf({ id: 7, part: 'a' }), '{"id":7,"part":"a"}');
  assert.equal(textOf([1, 'x']), '[1,"x"]');
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic['self'] = cyclic;
  const text = textOf(cyclic);
  assert.doesNotMatch(text, /\[object Object\]/);
  assert.match(text, /a: 1/);
  assert.match(textOf({ big: 1n }), /big: 1n/);
});
