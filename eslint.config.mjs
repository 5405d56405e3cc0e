/**
 * ESLint flat config: the rules STYLE.md (section 8) and ARCHITECTURE.md ("Layout and dependency
 * direction") ask the linter to hold. `npm run lint` runs it; `npm test` runs lint first.
 *
 * Errors: promise handling, import cycles, the one-way dependency direction between folders of
 * src/, "only src/cli touches the process", and "role code uses the injected Clock".
 * Warnings (soft budgets): file and function length, explicit types on exported functions.
 */
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

const TS_FILES = ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'];

// ---- dependency direction ------------------------------------------------------------------
// Every top-level entry of src/ (folders and src/index.ts), read from disk so a new folder is
// covered by the "nothing imports cli / roles / sdk" zones without editing this file.
const SRC_ENTRIES = readdirSync('src').sort();
const ROLES = ['nimbus', 'supervisor', 'worker'];
const src = (name) => `./src/${name}`;
const allBut = (...names) => SRC_ENTRIES.filter((e) => !names.includes(e)).map(src);

/** roles → runtime/hosts/transport/coordination/rpc/… → topology/multilang → common. */
const dependencyZones = [
  {
    target: allBut('cli'),
    from: src('cli'),
    message: 'src/cli holds the entry points; nothing else imports it (pass values in instead).',
  },
  // The roles never import each other; the supervisor starts workers as processes. Only the
  // CLI (where the daemons' main functions live) imports a role.
  ...ROLES.map((role) => ({
    target: allBut('cli', role),
    from: src(role),
    message: `src/${role} is a role: only src/cli imports it (roles never import each other; lower layers never import roles).`,
  })),
  {
    // src/sdk sits on top of the cluster API (the CLI's client commands use it, index.ts
    // re-exports it); roles and the layers below do not import it.
    target: allBut('cli', 'sdk', 'index.ts'),
    from: src('sdk'),
    message: 'src/sdk is a library layer over the cluster API; roles and lower layers do not import it.',
  },
  {
    target: src('common'),
    from: './src',
    except: ['./common'],
    message: 'src/common is the bottom layer: it imports nothing else in src.',
  },
  ...['topology', 'multilang'].map((layer) => ({
    target: src(layer),
    from: './src',
    except: ['./common', `./${layer}`],
    message: `src/${layer} imports only src/common (dependencies point downward: roles → runtime/hosts/… → topology/multilang → common).`,
  })),
];

// ---- only src/cli touches the process (STYLE.md lesson 9) ------------------------------------
const PROCESS_MESSAGE = 'only entry points (src/cli) touch the process (STYLE.md §8.9): take config, env and signals as options from the CLI';
const processRules = ['env', 'exit', 'exitCode', 'on', 'once', 'addListener', 'prependListener'].map((property) => ({
  object: 'process',
  property,
  message: `process.${property}: ${PROCESS_MESSAGE}.`,
}));
const processImports = ['process', 'node:process'].map((name) => ({ name, message: `${name}: ${PROCESS_MESSAGE}.` }));

// ---- role code uses the injected Clock (STYLE.md lesson 10) ----------------------------------
const CLOCK_MESSAGE = 'role code takes time from the injected Clock (clock.now/setTimeout/setInterval/sleep) so tests can drive it with FakeClock (STYLE.md §8.10)';
const clockProperties = [
  { object: 'Date', property: 'now', message: `Date.now(): ${CLOCK_MESSAGE}.` },
  { object: 'globalThis', property: 'setTimeout', message: `setTimeout: ${CLOCK_MESSAGE}.` },
  { object: 'globalThis', property: 'setInterval', message: `setInterval: ${CLOCK_MESSAGE}.` },
];
const clockGlobals = ['setTimeout', 'setInterval'].map((name) => ({ name, message: `${name}: ${CLOCK_MESSAGE}.` }));
const clockImports = ['timers', 'node:timers', 'timers/promises', 'node:timers/promises'].map((name) => ({ name, message: `${name}: ${CLOCK_MESSAGE}.` }));
const ROLE_CODE = ['src/nimbus/**/*.ts', 'src/supervisor/**/*.ts', 'src/worker/**/*.ts', 'src/coordination/**/*.ts'];

export default tseslint.config(
  {
    ignores: [
      'dist/**', 'node_modules/**', '.cache/**', 'bench/out/**',
      // Not TypeScript, or not ours to lint here: the Python package, example components
      // (plain JS/ESM, loaded by the runtime) and JS test/bench fixtures.
      'multilang/**', 'python-examples/**', 'examples/**', 'proto/**', 'docs/**', 'scripts/**',
      '**/*.js', '**/*.mjs', '**/*.cjs',
    ],
  },
  {
    files: TS_FILES,
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      // import-x only follows (and so only finds cycles through) files it may parse: .ts here.
      'import-x/extensions': ['.ts'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      // ESM sources import './x.js' for './x.ts'.
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'], extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Passing an async function where a void callback is expected is how event handlers and
      // timers are written here; what matters is that their rejections are handled, which
      // no-floating-promises checks inside them.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false, properties: false } }],
      // `let x; … () => x?.y() …; x = await …` lets a callback created first see the value
      // assigned later; merging into `const` would turn an early call into a TDZ ReferenceError.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Rejecting/throwing an AbortSignal's reason or a caught `unknown` is the idiom for
      // passing an error on; what STYLE.md bans is rejecting with a literal (a string).
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      '@typescript-eslint/only-throw-error': ['error', {
        allowThrowingAny: true,
        allowThrowingUnknown: true,
        // In-memory ZooKeeper: a private control-flow signal, caught by guard() in the same file
        // and turned into the typed coordination error.
        allow: [{ from: 'file', name: 'TreeFailure', path: 'src/coordination/memory-tree.ts' }],
      }],
      // An async function without await is how a Promise-returning interface method is written
      // when the body happens to be synchronous; dropping `async` would turn its throws into
      // synchronous throws, a behaviour change.
      '@typescript-eslint/require-await': 'off',
      // The only enums are numeric (JSON char codes in multilang/json-text.ts, gRPC Status);
      // comparing them with the numbers they name is their purpose.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // String(x) of an unknown value is the deliberate last resort in diagnostics; each warning
      // is a place where an object would print "[object Object]" — worth a look, not a failure.
      '@typescript-eslint/no-base-to-string': 'warn',
      'max-lines': ['warn', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['warn', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { zones: dependencyZones }],
      '@typescript-eslint/explicit-module-boundary-types': 'warn',
    },
  },
  {
    // Everything in src except the CLI: no process globals.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-properties': ['error', ...processRules],
      'no-restricted-imports': ['error', { paths: processImports }],
    },
  },
  {
    // Role code: no process globals (repeated: a later block replaces a rule's options, it does
    // not merge them) and no wall-clock time.
    files: ROLE_CODE,
    ignores: [
      // A development/test launcher for a system ZooKeeper (`squall dev-zookeeper`, the
      // cluster tests), not coordination logic: it waits on a real Java process in real time
      // (start-up polling, SIGKILL after the grace period), so a fake clock has no meaning here.
      'src/coordination/local-zookeeper.ts',
    ],
    rules: {
      'no-restricted-properties': ['error', ...processRules, ...clockProperties],
      'no-restricted-globals': ['error', ...clockGlobals],
      'no-restricted-imports': ['error', { paths: [...processImports, ...clockImports] }],
    },
  },
  {
    // Tests and benchmarks drive the process (env gates, real timers, real children) by design;
    // the process and clock bans above are scoped to src/. Non-null assertions on values a test
    // has just checked are normal there. no-floating-promises stays on: a floating promise in a
    // test hides its failure.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      // node:test's test()/describe()/it() and their hooks return promises that the runner
      // itself tracks; every other floating promise in a test is still an error.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
    },
  },
);
