/** Test projects mirror the source tree; each runs with `npx jest --selectProjects <name>`. */
const tsJest = { '^.+\\.ts$': ['ts-jest', {}] };
const project = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: 'node',
  transform: tsJest,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  ...extra,
});

module.exports = {
  projects: [
    project('unit'),
    project('infra'),
    project('agent'),
    project('statemachines', { globalSetup: '<rootDir>/test/e2e/global-setup.ts' }),
    project('e2e', { globalSetup: '<rootDir>/test/e2e/global-setup.ts' }),
  ],
};
