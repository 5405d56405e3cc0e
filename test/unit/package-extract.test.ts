/**
 * Package extraction against hostile archives (TEST-PLANS B12, Storm CVE-2018-8008): each one
 * is built byte by byte here, refused as a whole with a clear reason, and leaves the file
 * system exactly as it was — checked with a snapshot of the whole scratch tree, including a
 * sentinel file outside the target. A good package round-trips through createPackage.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Header, Pax, type HeaderData } from 'tar';
import { UsageError } from '../../src/common/errors.js';
import { createPackage, DEFAULT_SKIP, listPackageFiles } from '../../src/packages/create-package.js';
import { PackageRejectedError, type PackageRejectReason } from '../../src/packages/package-errors.js';
import { inspectPackage, safeExtract, type SafeExtractOptions } from '../../src/packages/safe-extract.js';

const scratch = mkdtempSync(join(tmpdir(), 'squall-pkg-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface RawEntry {
  path: string;
  type?: NonNullable<HeaderData['type']>;
  body?: Buffer | string;
  /** Declared size when it should differ from the body's. */
  size?: number;
  linkpath?: string;
  mode?: number;
}

/** A tar stream written header by header, so it can say anything a hostile client would. */
function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const header = new Header({
      path: e.path, type: e.type ?? 'File', size: e.size ?? body.length, mode: e.mode ?? 0o644,
      linkpath: e.linkpath, mtime: new Date(0), uid: 0, gid: 0,
    });
    header.encode();
    blocks.push(header.block!, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const tgz = (entries: RawEntry[]): Buffer => gzipSync(rawTar(entries));

/** Every path under `dir` with its type, mode and content: the whole visible state. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, rel);
    const st = lstatSync(p);
    out[rel] = st.isFile() ? `file ${st.mode.toString(8)} ${readFileSync(p).toString('hex')}`
      : st.isDirectory() ? `dir ${st.mode.toString(8)}` : `other ${st.mode.toString(8)}`;
  }
  return out;
}

/** A fresh scratch area: a sentinel file outside, and a target path that does not exist yet. */
function arena(): { root: string; target: string; sentinel: string } {
  const root = mkdtempSync(join(scratch, 'arena-'));
  const sentinel = join(root, 'sentinel.txt');
  writeFileSync(sentinel, 'untouched\n');
  return { root, target: join(root, 'box', 'pkg'), sentinel };
}

/** Extraction must fail with `reason`, and the whole arena must be exactly as before. */
async function assertRejected(pkg: Buffer | string, reason: PackageRejectReason, options: SafeExtractOptions = {}, a = arena()): Promise<PackageRejectedError> {
  const before = snapshot(a.root);
  let caught: unknown;
  try {
    await safeExtract(pkg, a.target, options);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof PackageRejectedError, `expected a rejection, got ${String(caught)}`);
  assert.equal(caught.code, 'E_PACKAGE_REJECTED');
  assert.equal(caught.reason, reason, caught.message);
  assert.match(caught.message, new RegExp(`^package rejected \\(${reason}\\): `));
  assert.deepEqual(snapshot(a.root), before, 'the file system changed');
  assert.equal(readFileSync(a.sentinel, 'utf8'), 'untouched\n');
  return caught;
}

const OK = { path: 'topology.yaml', body: 'name: fine\n' };

describe('safeExtract refuses hostile packages whole, writing nothing', () => {
  it('"../" entries (zip-slip)', async () => {
    const err = await assertRejected(tgz([OK, { path: '../../evil.txt', body: 'x' }]), 'unsafe-path');
    assert.equal(err.entry, '../../evil.txt');
    assert.match(err.message, /"\.\." segment/);
    await assertRejected(tgz([OK, { path: 'a/../../evil.txt', body: 'x' }]), 'unsafe-path');
  });

  it('absolute paths', async () => {
    const a = arena();
    const err = await assertRejected(tgz([OK, { path: join(a.root, 'abs-pwned'), body: 'x' }]), 'unsafe-path', {}, a);
    assert.match(err.message, /absolute path/);
    await assertRejected(tgz([OK, { path: 'C:/Windows/evil', body: 'x' }]), 'unsafe-path');
  });

  it('a pax header that renames a harmless entry to "../" (the name node-tar would use)', async () => {
    const pax = new Pax({ path: '../../evil.txt' }).encode();
    const tar = Buffer.concat([pax, rawTar([{ path: 'harmless.txt', body: 'x' }])]);
    const err = await assertRejected(gzipSync(tar), 'unsafe-path');
    assert.equal(err.entry, '../../evil.txt');
  });

  it('an oversized pax header (node-tar would skip it silently)', async () => {
    await assertRejected(tgz([OK, { path: 'PaxHeader/x', type: 'ExtendedHeader', body: 'x'.repeat(100_000) }, { path: 'y', body: 'y' }]), 'corrupt');
  });

  it('backslash separators', async () => {
    await assertRejected(tgz([OK, { path: '..\\..\\evil.txt', body: 'x' }]), 'unsafe-path');
  });

  it('a symlink to /etc, and a file written through a symlink', async () => {
    const err = await assertRejected(tgz([OK, { path: 'etc', type: 'SymbolicLink', linkpath: '/etc' }]), 'link');
    assert.match(err.message, /symbolic links are not allowed/);
    const a = arena();
    await assertRejected(tgz([
      OK,
      { path: 'escape', type: 'SymbolicLink', linkpath: a.root },
      { path: 'escape/pwned.txt', body: 'x' },
    ]), 'link', {}, a);
  });

  it('a symlink that stays inside the package (links are refused outright)', async () => {
    await assertRejected(tgz([OK, { path: 'alias.yaml', type: 'SymbolicLink', linkpath: 'topology.yaml' }]), 'link');
  });

  it('a hardlink outside, then a write through it', async () => {
    const a = arena();
    const err = await assertRejected(tgz([
      OK,
      { path: 'hl', type: 'Link', linkpath: '../../sentinel.txt' },
      { path: 'hl', body: 'overwritten' },
    ]), 'link', {}, a);
    assert.match(err.message, /hard links/);
    await assertRejected(tgz([OK, { path: 'hl', type: 'Link', linkpath: a.sentinel }]), 'link', {}, a);
  });

  it('a FIFO and device files', async () => {
    const err = await assertRejected(tgz([OK, { path: 'pipe', type: 'FIFO' }]), 'entry-type');
    assert.match(err.message, /FIFO entries are not allowed/);
    await assertRejected(tgz([OK, { path: 'null', type: 'CharacterDevice' }]), 'entry-type');
    await assertRejected(tgz([OK, { path: 'sda', type: 'BlockDevice' }]), 'entry-type');
  });

  it('more entries than the limit (default 10,000, and a custom one)', async () => {
    const many = Array.from({ length: 10_001 }, (_, i) => ({ path: `f/${i}` }));
    const err = await assertRejected(tgz(many), 'too-many-entries');
    assert.match(err.message, /more than 10000 entries/);
    await assertRejected(tgz([OK, { path: 'a' }, { path: 'b' }]), 'too-many-entries', { maxEntries: 2 });
  });

  it('a compression bomb (far beyond 100:1)', async () => {
    const bomb = tgz([OK, { path: 'zeros.bin', body: Buffer.alloc(32 * 1024 * 1024) }]);
    assert.ok(bomb.length < 64 * 1024, `the bomb is small: ${bomb.length} bytes`);
    const err = await assertRejected(bomb, 'compression-ratio');
    assert.match(err.message, /beyond 100:1/);
  });

  it('more uncompressed bytes than the limit, and a header declaring 10 GB', async () => {
    await assertRejected(tgz([OK, { path: 'noise.bin', body: randomBytes(2 * 1024 * 1024) }]), 'too-large', { maxTotalBytes: 1024 * 1024 });
    // Refused at the header, before a body that is not even there.
    const err = await assertRejected(tgz([OK, { path: 'huge.bin', size: 10 * 1024 ** 3, body: 'tiny' }]), 'too-large');
    assert.equal(err.entry, 'huge.bin');
  });

  it('a file name with a newline or another control character', async () => {
    const err = await assertRejected(tgz([OK, { path: 'evil\nname.txt', body: 'x' }]), 'unsafe-path');
    assert.match(err.message, /control character/);
    assert.match(err.message, /"evil\\nname\.txt"/, 'the name is quoted, not printed raw');
    await assertRejected(tgz([OK, { path: 'bell\u0007', body: 'x' }]), 'unsafe-path');
  });

  it('duplicate names and Unicode/case twins', async () => {
    await assertRejected(tgz([OK, { path: 'a.txt', body: '1' }, { path: 'a.txt', body: '2' }]), 'duplicate');
    await assertRejected(tgz([OK, { path: 'caf\u00e9', body: '1' }, { path: 'cafe\u0301', body: '2' }]), 'duplicate');
    await assertRejected(tgz([OK, { path: 'Readme', body: '1' }, { path: 'README', body: '2' }]), 'duplicate');
  });

  it('an entry below a file', async () => {
    await assertRejected(tgz([OK, { path: 'a', body: '1' }, { path: 'a/b', body: '2' }]), 'path-conflict');
    await assertRejected(tgz([OK, { path: 'd/b', body: '1' }, { path: 'd', body: '2' }]), 'path-conflict');
  });

  it('bytes that are not gzip, gzip inside gzip, and corrupt archives', async () => {
    await assertRejected(rawTar([OK]), 'not-gzip');
    await assertRejected(gzipSync(tgz([OK])), 'nested-compression');
    await assertRejected(gzipSync(randomBytes(4096)), 'corrupt');
    const good = tgz([OK, { path: 'more.txt', body: randomBytes(10_000) }]);
    await assertRejected(good.subarray(0, good.length - 100), 'corrupt');
  });

  it('refuses a target that exists and is not empty, touching nothing', async () => {
    const a = arena();
    mkdirSync(a.target, { recursive: true });
    writeFileSync(join(a.target, 'keep.txt'), 'mine');
    await assertRejected(tgz([OK]), 'target', {}, a);
  });

  it('reads packages from a file path too', async () => {
    const a = arena();
    const file = join(a.root, 'bad.tar.gz');
    writeFileSync(file, tgz([OK, { path: '../evil', body: 'x' }]));
    await assertRejected(file, 'unsafe-path', {}, a);
  });
});

describe('safeExtract: what an accepted package becomes', () => {
  it('strips setuid/setgid/sticky and group/world write; keeps the execute bit', async () => {
    const a = arena();
    await safeExtract(tgz([
      { path: 'bin/', type: 'Directory', mode: 0o7777 },
      { path: 'bin/run.sh', body: '#!/bin/sh\n', mode: 0o6777 },
      { path: 'data.txt', body: 'd', mode: 0o666 },
    ]), a.target);
    assert.equal(statSync(join(a.target, 'bin/run.sh')).mode & 0o7777, 0o755);
    assert.equal(statSync(join(a.target, 'data.txt')).mode & 0o7777, 0o644);
    assert.equal(statSync(join(a.target, 'bin')).mode & 0o7777, 0o755);
    assert.equal(statSync(join(a.target, 'bin/run.sh')).uid, process.getuid?.(), 'owned by us, not by the archive\'s uid 0');
    assert.deepEqual(readdirSync(join(a.root, 'box')), ['pkg'], 'no staging directory left behind');
  });

  it('accepts a "./"-prefixed archive (tar -C dir .) and an empty existing target', async () => {
    const a = arena();
    mkdirSync(a.target, { recursive: true });
    const listing = await safeExtract(tgz([{ path: './', type: 'Directory' }, { path: './topology.yaml', body: 'x' }]), a.target);
    assert.equal(listing.files, 1);
    assert.equal(readFileSync(join(a.target, 'topology.yaml'), 'utf8'), 'x');
  });

  it('inspectPackage lists without writing anything', async () => {
    const a = arena();
    const before = snapshot(a.root);
    const listing = await inspectPackage(tgz([OK, { path: 'res/', type: 'Directory' }, { path: 'res/x.py', body: 'print(1)' }]));
    assert.deepEqual(listing.entries.map((e) => `${e.kind} ${e.path}`), ['file topology.yaml', 'directory res', 'file res/x.py']);
    assert.equal(listing.bytes, OK.body.length + 8);
    assert.deepEqual(snapshot(a.root), before);
  });
});

describe('createPackage → safeExtract round trip', () => {
  function topologyDir(): string {
    const dir = mkdtempSync(join(scratch, 'topo-'));
    writeFileSync(join(dir, 'topology.yaml'), 'name: wordcount\n');
    mkdirSync(join(dir, 'resources', 'lib'), { recursive: true });
    writeFileSync(join(dir, 'resources', 'split.py'), 'import sys\n', { mode: 0o755 });
    writeFileSync(join(dir, 'resources', 'lib', 'words.txt'), 'a\nb\n');
    mkdirSync(join(dir, 'resources', 'empty'));
    for (const skipped of DEFAULT_SKIP) {
      mkdirSync(join(dir, skipped));
      writeFileSync(join(dir, skipped, 'junk'), 'junk');
    }
    mkdirSync(join(dir, 'resources', '__pycache__'));
    writeFileSync(join(dir, 'resources', '__pycache__', 'split.cpython-311.pyc'), 'pyc');
    return dir;
  }

  it('extracts exactly the packed files with their modes, skipping caches and VCS data', async () => {
    const dir = topologyDir();
    const a = arena();
    const pkg = await createPackage(dir);
    await safeExtract(pkg, a.target);
    assert.deepEqual(snapshot(a.target), {
      'resources': 'dir 40755',
      'resources/empty': 'dir 40755',
      'resources/lib': 'dir 40755',
      'resources/lib/words.txt': `file 100644 ${Buffer.from('a\nb\n').toString('hex')}`,
      'resources/split.py': `file 100755 ${Buffer.from('import sys\n').toString('hex')}`,
      'topology.yaml': `file 100644 ${Buffer.from('name: wordcount\n').toString('hex')}`,
    });
  });

  it('is deterministic: same bytes regardless of mtimes and directory order', async () => {
    const dir = topologyDir();
    const first = await createPackage(dir);
    utimesSync(join(dir, 'topology.yaml'), new Date(2020, 1, 1), new Date(2021, 1, 1));
    chmodSync(join(dir, 'resources', 'lib', 'words.txt'), 0o664); // a looser umask elsewhere
    assert.ok(first.equals(await createPackage(dir)));
    assert.deepEqual(await listPackageFiles(dir), [
      'resources/', 'resources/empty/', 'resources/lib/', 'resources/lib/words.txt', 'resources/split.py', 'topology.yaml',
    ]);
  });

  it('stores hard-linked files as plain files (links are refused on extraction)', async () => {
    const dir = topologyDir();
    linkSync(join(dir, 'topology.yaml'), join(dir, 'copy.yaml'));
    const a = arena();
    await safeExtract(await createPackage(dir), a.target);
    assert.equal(readFileSync(join(a.target, 'copy.yaml'), 'utf8'), 'name: wordcount\n');
  });

  it('refuses to pack symlinks and bad names, naming them', async () => {
    const dir = topologyDir();
    symlinkSync('/etc/passwd', join(dir, 'resources', 'passwd'));
    writeFileSync(join(dir, 'bad\nname'), 'x');
    await assert.rejects(createPackage(dir), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /"resources\/passwd" is a symbolic link/);
      assert.match(e.message, /control character/);
      return true;
    });
  });

  it('refuses to pack more than the limits allow', async () => {
    await assert.rejects(createPackage(topologyDir(), { maxEntries: 3 }), /more than 3 files and directories/);
  });

  it('a package written to a file extracts from its path', async () => {
    const a = arena();
    const file = join(a.root, 'wordcount.tar.gz');
    writeFileSync(file, await createPackage(topologyDir()));
    const listing = await safeExtract(file, a.target);
    assert.equal(listing.files, 3);
    assert.equal(listing.directories, 3);
  });
});
