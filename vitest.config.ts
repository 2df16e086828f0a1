import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // expect.poll waits for what must come (a page's text, a row) as long as test/helpers/poll.ts
    // does, not vitest's default second: on a busy machine a page took longer than that to render
    // the booking it had just been sent to.
    expect: { poll: { timeout: 20_000 } },
    // Each file brings its own Temporal test server and database; two cores run two at a time.
    maxWorkers: 2,
  },
});
