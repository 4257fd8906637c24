import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Two cores: integration tests spawn CLIs and servers, more workers only contend.
    maxWorkers: 2,
    testTimeout: 120_000,
    // Tests never write into the OS keychain of the machine running them (a developer's desktop has one); the keychain
    // tests pass their own.
    env: { HOIST_KEYCHAIN: 'off' },
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
