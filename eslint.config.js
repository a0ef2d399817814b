// ESLint flat config: typescript-eslint's recommended rules on all TypeScript sources.
// Generated codecs are checked by the regeneration test instead of the linter.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Design principle 4: time, timers, randomness and the file system are injected (Clock, Random,
// Disk, Network from src/common and src/network), with the real ones as defaults. The files below
// may not reach for the real ones directly; the modules that implement the defaults are the
// exceptions. To cover more of src/, add its glob to WORLD_INJECTED (and, for a module that is a
// real default, its path to WORLD_DEFAULTS).
const WORLD_INJECTED = ['src/client/**'];
const WORLD_DEFAULTS = ['src/common/clock.ts', 'src/common/random.ts', 'src/network/network.ts'];

const injected = (what) => `${what} is part of the injected world (design principle 4): use the Clock / Random / Network / Disk passed in`;
const TIMERS = ['setTimeout', 'setInterval', 'setImmediate'];
const worldRules = {
  'no-restricted-globals': ['error', ...TIMERS.map((name) => ({ name, message: injected(name) }))],
  'no-restricted-properties': [
    'error',
    { object: 'Date', property: 'now', message: injected('Date.now') },
    { object: 'Math', property: 'random', message: injected('Math.random') },
    { object: 'performance', property: 'now', message: injected('performance.now') },
    { object: 'process', property: 'hrtime', message: injected('process.hrtime') },
    ...TIMERS.map((property) => ({ object: 'globalThis', property, message: injected(property) })),
  ],
  'no-restricted-syntax': [
    'error',
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: injected('new Date() (the current time)') },
    { selector: "CallExpression[callee.name='Date']", message: injected('Date() (the current time)') },
  ],
  'no-restricted-imports': [
    'error',
    {
      paths: ['fs', 'fs/promises', 'timers', 'timers/promises', 'perf_hooks'].flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: injected(name) })),
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'src/protocol/messages/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['src/cli/**', 'bench/**', 'codegen/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  { files: WORLD_INJECTED, ignores: WORLD_DEFAULTS, rules: worldRules },
);
