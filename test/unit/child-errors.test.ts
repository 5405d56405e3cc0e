import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitError, grpcExitHint } from '../../src/hosts/shell/child-errors.js';

test('a gRPC component that cannot import the SDK gets the install command as its next step', () => {
  for (const tail of [
    "ModuleNotFoundError: No module named 'squall'",
    "ModuleNotFoundError: No module named 'grpc'",
    "ModuleNotFoundError: No module named 'google'",
    "ImportError: squall.grpc needs grpcio and protobuf: pip install './multilang/python[grpc]' (No module named 'grpc')",
  ]) {
    assert.match(grpcExitHint(tail) ?? '', /pip install '\.\/multilang\/python\[grpc\]'/, tail);
  }
  assert.equal(grpcExitHint('ValueError: bad input'), undefined);
  assert.equal(grpcExitHint(''), undefined);
});

test('exitError carries the hint it is given and names the exit', () => {
  const err = exitError(1, null, '', { component: 'upper', task: 4 }, 'do this');
  assert.equal(err.hint, 'do this');
  assert.match(err.message, /exited with code 1/);
  assert.equal(exitError(null, 'SIGKILL', '', {}).hint, undefined);
});
