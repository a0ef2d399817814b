// ESLint flat config: typescript-eslint's recommended rules on all TypeScript sources.
// Generated codecs are checked by the regeneration test instead of the linter.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'src/protocol/messages/', 'src/protocol/metadata/', 'src/protocol/coordinator/'] },
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
);
