/**
 * Jest for the extension's unit and component tests (`jlpm test`), on the
 * JupyterLab extension template's base config: ts-jest, a jsdom environment
 * with fetch, and babel for the ES-module JupyterLab packages.
 */
const jestJupyterLab = require('@jupyterlab/testing/lib/jest-config');

// Dates in tests read the same on every machine.
process.env.TZ = 'UTC';

const esModules = [
  '@codemirror',
  '@jupyter/ydoc',
  '@jupyter/react-components',
  '@jupyter/web-components',
  '@jupyterlab/',
  '@microsoft',
  'exenv-es6',
  'lib0',
  'marked',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

const baseConfig = jestJupyterLab(__dirname);

module.exports = {
  ...baseConfig,
  automock: false,
  setupFiles: [...baseConfig.setupFiles, '<rootDir>/test/jestSetup.ts'],
  // No jest-junit file or GitHub annotations: pytest and people read the default report.
  reporters: ['default'],
  testRegex: '/test/.*\\.test\\.ts$',
  transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`],
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.d.ts', '!src/generated/**']
};
