// Test projects. `unit` needs nothing running; the others talk to the local stack
// (Postgres on 54322, gateway on 54321) and/or a simulator they start themselves.
// Suites that share the database run one file at a time so they never race each other.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["tests/unit/**/*.test.ts"] } },
      { test: { name: "simulator", include: ["tests/simulator/**/*.test.ts"], testTimeout: 30_000 } },
      {
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          globalSetup: ["tests/support/pause-schedule.ts"],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Breaks the local stack on purpose, one way at a time; the schedule stays live (the
        // doctor checks it), so it runs alone, after the suites above.
        test: {
          name: "doctor",
          include: ["tests/doctor/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
