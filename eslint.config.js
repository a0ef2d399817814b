// ESLint flat config: typescript-eslint's recommended rules on all TypeScript sources.
// Generated codecs are checked by `npm run codegen -- --check` instead of the linter.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Design principle 4: time, timers, randomness and the file system are injected (Clock, Random,
// Disk, Network from src/common, src/storage and src/network), with the real ones as defaults.
// Nothing under src/ may reach for the real ones directly except the modules that implement the
// defaults, and the command line, which is where a process's real world is put together (it
// times `samsa perf` runs and reads the files it is given).
const WORLD_INJECTED = ['src/**'];
const WORLD_DEFAULTS = ['src/common/clock.ts', 'src/common/random.ts', 'src/network/network.ts', 'src/storage/node-disk.ts', 'src/storage/directory-lock.ts', 'src/cli/**'];

const injected = (what) => `${what} is part of the injected world (design principle 4): use the Clock / Random / Network / Disk passed in`;
const TIMERS = ['setTimeout', 'setInterval', 'setImmediate'];
const CRYPTO_RANDOM = ['randomUUID', 'randomBytes', 'randomInt', 'randomFillSync', 'randomFill', 'getRandomValues'];
const worldRules = {
  'no-restricted-globals': ['error', ...TIMERS.map((name) => ({ name, message: injected(name) }))],
  'no-restricted-properties': [
    'error',
    { object: 'Date', property: 'now', message: injected('Date.now') },
    { object: 'Math', property: 'random', message: injected('Math.random') },
    { object: 'performance', property: 'now', message: injected('performance.now') },
    { object: 'process', property: 'hrtime', message: injected('process.hrtime') },
    ...TIMERS.map((property) => ({ object: 'globalThis', property, message: injected(property) })),
    ...CRYPTO_RANDOM.map((property) => ({ object: 'crypto', property, message: injected(`crypto.${property}`) })),
  ],
  'no-restricted-syntax': [
    'error',
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: injected('new Date() (the current time)') },
    { selector: "CallExpression[callee.name='Date']", message: injected('Date() (the current time)') },
  ],
  'no-restricted-imports': [
    'error',
    {
      paths: [
        ...['fs', 'fs/promises', 'timers', 'timers/promises', 'perf_hooks'].flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: injected(name) })),
        // Hashing is deterministic; crypto's randomness is not.
        ...['crypto', 'node:crypto'].map((name) => ({ name, importNames: CRYPTO_RANDOM, message: injected('crypto randomness') })),
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.kafkajs-suite/', 'src/protocol/messages/', 'src/protocol/metadata/', 'src/protocol/coordinator/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['src/cli/**', 'bench/**', 'codegen/**', 'test/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
  { files: WORLD_INJECTED, ignores: WORLD_DEFAULTS, rules: worldRules },
);
