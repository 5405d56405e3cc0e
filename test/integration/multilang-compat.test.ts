/**
 * Components written for Storm's own storm.py and for pystorm (json and msgpack) run under
 * Squall unmodified. The adapters are installed from the package registries at test time.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { silentLogger } from '../../src/common/logger.js';
import { createHostFactory } from '../../src/hosts/factory.js';
import { createRunDir, sweepRun } from '../../src/hosts/shell/pid-dirs.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { compilePlan } from '../../src/topology/plan.js';
import { COMPAT_PYTHON, ensureCompatAdapters, STORM_PY_DIR } from '../helpers/compat.js';
import { ROOT } from '../helpers/cli.js';
import { board, makeSpec, waitFor } from '../helpers/spec.js';

const TOTAL = 300;
const FIX = join(ROOT, 'test', 'fixtures', 'compat');
const WORDS_PER_3 = 6 + 8 + 6;

async function runWordCount(name: string, spout: string[], split: string[], config: Record<string, unknown>): Promise<void> {
  const key = `compat-${name}`;
  const spec = makeSpec(name, [{ id: 'sentences', shell: spout, outputs: ['sentence'] }], [
    { id: 'split', shell: split, parallelism: 2, outputs: ['word'], inputs: [{ from: 'sentences' }] },
    { id: 'count', export: 'CountBolt', args: [key], parallelism: 2, outputs: ['word', 'count'], inputs: [{ from: 'split', grouping: { type: 'fields', fields: ['word'] } }] },
  ], { 'topology.max.spout.pending': 50, 'topology.environment': { PYTHONPATH: STORM_PY_DIR }, ...config });
  const runDir = await createRunDir(join(ROOT, '.cache', 'runs'), silentLogger);
  const rt = await Runtime.create({ plan: compilePlan(spec), factory: createHostFactory({ runDir, baseEnv: process.env }) });
  try {
    rt.start();
    const stat = (id: string) => rt.stats().find((s) => s.componentId === id)!;
    await waitFor(() => stat('sentences').acked === TOTAL, 60_000, `${TOTAL} sentences acked`);
    await rt.drain(5000);
    assert.equal(stat('sentences').failed, 0);
    assert.equal(stat('split').errors, 0, stat('split').lastErrors.map((e) => e.message).join('\n'));
    assert.equal(stat('count').executed, (TOTAL / 3) * WORDS_PER_3);
    const counts = board(key).counts;
    assert.equal(counts.get('the'), (TOTAL / 3) * 3);
    assert.equal(counts.get('seven'), TOTAL / 3);
  } finally {
    await rt.close();
    await sweepRun(runDir.path, runDir.runId, silentLogger);
  }
}

describe('third-party multilang adapters run unmodified', { concurrency: 1 }, () => {
  before(() => ensureCompatAdapters(), { timeout: 600_000 });

  test('Apache Storm storm.py spout and BasicBolt (emits wait for task ids)', { timeout: 90_000 }, async () => {
    await runWordCount('stormpy', [COMPAT_PYTHON, join(FIX, 'storm_spout.py'), String(TOTAL)], [COMPAT_PYTHON, join(FIX, 'storm_split.py')], {});
  });

  test('pystorm spout and bolt, json serializer, ids beyond 2^53', { timeout: 90_000 }, async () => {
    await runWordCount('pystorm-json', [COMPAT_PYTHON, join(FIX, 'pystorm_spout.py'), String(TOTAL), 'json'], [COMPAT_PYTHON, join(FIX, 'pystorm_split.py'), 'json'], {});
  });

  test('pystorm spout and bolt, msgpack serializer', { timeout: 90_000 }, async () => {
    await runWordCount('pystorm-msgpack', [COMPAT_PYTHON, join(FIX, 'pystorm_spout.py'), String(TOTAL), 'msgpack'], [COMPAT_PYTHON, join(FIX, 'pystorm_split.py'), 'msgpack'], { 'topology.multilang.serializer': 'msgpack' });
  });
});
