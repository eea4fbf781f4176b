import { defineConfig } from 'vitest/config';

// Browser tests: one real server (with the demo county) and one Chromium, shared by the scenarios of a file.
export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts', 'web/src/**/*.test.ts'],
    root: new URL('..', import.meta.url).pathname,
    testTimeout: 60_000,
    // Setup starts the server with the demo county (E2E_START_TIMEOUT_MS, see e2e/server.ts) and a browser.
    hookTimeout: Number(process.env['E2E_START_TIMEOUT_MS'] ?? 300_000) + 60_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
