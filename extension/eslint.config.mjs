/**
 * ESLint for the extension's TypeScript (`jlpm eslint:check`, part of
 * `jlpm lint:check`): typescript-eslint's recommended rules plus the
 * JupyterLab extension template's conventions; formatting is Prettier's job.
 */
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Generated from the OpenAPI document (`jlpm generate:api`), not written here.
  { ignores: ['lib/', 'coverage/', 'src/generated/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // The template's interface names: IJob, IDataClient.
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      curly: ['error', 'all'],
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error'
    }
  },
  prettier
);
