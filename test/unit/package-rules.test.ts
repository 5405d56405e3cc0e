/**
 * The entry rules on their own. Both extraction passes (the listing and node-tar's filter)
 * run these, so the second line of defence is exactly as strict as the first.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntryLedger, normalizeEntryPath, safeMode } from '../../src/packages/entry-rules.js';
import { compilePackageLimits } from '../../src/packages/limits.js';
import { PackageRejectedError } from '../../src/packages/package-errors.js';

const reason = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PackageRejectedError);
    return e.reason;
  }
  return 'accepted';
};

describe('entry paths', () => {
  it('canonicalises a leading "./" and a directory\'s trailing slash', () => {
    assert.equal(normalizeEntryPath('./a/b/'), 'a/b');
    assert.equal(normalizeEntryPath('./'), '');
    assert.equal(normalizeEntryPath('a/b.txt'), 'a/b.txt');
  });

  it('refuses every unsafe or non-canonical form', () => {
    for (const bad of ['', '/etc/passwd', 'C:/x', 'c:x', '..', 'a/..', 'a/../b', 'a//b', 'a/./b', 'a\\b', 'a\u0085b', 'a\uFFFDb',
      'x'.repeat(256), `${'d/'.repeat(64)}f`, `${'x'.repeat(200)}/`.repeat(6)]) {
      assert.equal(reason(() => normalizeEntryPath(bad)), 'unsafe-path', JSON.stringify(bad));
    }
  });
});

describe('entry ledger', () => {
  const ledger = (opts = {}) => new EntryLedger(compilePackageLimits(opts));

  it('admits files and directories, counting bytes', () => {
    const l = ledger();
    assert.deepEqual(l.admit({ path: 'd/', type: 'Directory', size: 0 }), { path: 'd', kind: 'directory', size: 0 });
    assert.deepEqual(l.admit({ path: 'd/f', type: 'File', size: 10 }), { path: 'd/f', kind: 'file', size: 10 });
    assert.deepEqual(l.admit({ path: './', type: 'Directory', size: 0 }), { path: '', kind: 'root', size: 0 });
    assert.equal(l.entries, 3);
    assert.equal(l.bytes, 10);
  });

  it('refuses links, special files and unknown types', () => {
    for (const type of ['SymbolicLink', 'Link']) assert.equal(reason(() => ledger().admit({ path: 'l', type, size: 0 })), 'link');
    for (const type of ['FIFO', 'CharacterDevice', 'BlockDevice', 'SparseFile', 'GNUDumpDir', 'Unsupported']) {
      assert.equal(reason(() => ledger().admit({ path: 'x', type, size: 0 })), 'entry-type', type);
    }
    assert.equal(reason(() => ledger().admit({ path: './', type: 'File', size: 0 })), 'unsafe-path');
  });

  it('enforces the entry count and the declared total size', () => {
    const l = ledger({ maxEntries: 1 });
    l.admit({ path: 'a', type: 'File', size: 0 });
    assert.equal(reason(() => l.admit({ path: 'b', type: 'File', size: 0 })), 'too-many-entries');
    assert.equal(reason(() => ledger({ maxTotalBytes: 5 }).admit({ path: 'a', type: 'File', size: 6 })), 'too-large');
    assert.equal(reason(() => ledger().admit({ path: 'a', type: 'File', size: -1 })), 'corrupt');
  });

  it('refuses duplicates, twins and files used as directories', () => {
    const l = ledger();
    l.admit({ path: 'dir/x', type: 'File', size: 0 });
    assert.equal(reason(() => l.admit({ path: './dir/x', type: 'File', size: 0 })), 'duplicate');
    assert.equal(reason(() => l.admit({ path: 'DIR/X', type: 'File', size: 0 })), 'duplicate');
    assert.equal(reason(() => l.admit({ path: 'dir', type: 'File', size: 0 })), 'path-conflict');
    assert.equal(reason(() => l.admit({ path: 'dir/x/y', type: 'File', size: 0 })), 'path-conflict');
    assert.equal(reason(() => l.admit({ path: 'dir/', type: 'Directory', size: 0 })), 'accepted', 'an explicit entry for an implied directory is fine');
  });

  it('gives safe modes', () => {
    assert.equal(safeMode('file', 0o4755), 0o755);
    assert.equal(safeMode('file', 0o2640), 0o644);
    assert.equal(safeMode('file', 0o100), 0o755);
    assert.equal(safeMode('file', undefined), 0o644);
    assert.equal(safeMode('directory', 0o1777), 0o755);
  });
});

describe('package limits', () => {
  it('fills defaults and refuses nonsense', () => {
    assert.deepEqual(compilePackageLimits(), { maxEntries: 10_000, maxTotalBytes: 512 * 1024 * 1024, maxRatio: 100, ratioGraceBytes: 1024 * 1024 });
    assert.throws(() => compilePackageLimits({ maxEntries: -1 }), /maxEntries/);
    assert.throws(() => compilePackageLimits({ maxRatio: Number.NaN }), /maxRatio/);
  });
});
