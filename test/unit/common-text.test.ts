import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textOf, utf8Length } from '../../src/common/text.js';

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

test('utf8Length counts what TextEncoder writes, lone surrogates included', () => {
  const enc = new TextEncoder();
  for (const s of ['', 'abc', 'é', '€', '😀', 'a😀b', '\uD800é', '\uDC00', 'x\uD800', 'caf\u00e9 cr\u00e8me']) {
    assert.equal(utf8Length(s), enc.encode(s).length, JSON.stringify(s));
  }
});
