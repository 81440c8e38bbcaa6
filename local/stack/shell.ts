// Running external commands for the stack scripts: synchronous, with the command line and its
// output in the error, so a failed step explains itself.
import { spawnSync, type SpawnSyncOptions } from "node:child_process";

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    const output = `${result.stderr}\n${result.stdout}`.trim().slice(-2000);
    super(`command failed (exit ${result.status}): ${command}\n${output}`);
  }
}

/** Runs a command and returns its output; never throws on a non-zero exit. */
export function tryRun(cmd: string, args: readonly string[], options: SpawnSyncOptions = {}): RunResult {
  const result = spawnSync(cmd, args, { encoding: "utf8", ...options });
  if (result.error) {
    return { status: -1, stdout: "", stderr: `${cmd}: ${result.error.message}` };
  }
  return { status: result.status ?? -1, stdout: String(result.stdout ?? ""), stderr: String(result.stderr ?? "") };
}

/** Runs a command and throws a CommandError carrying its output when it fails. */
export function run(cmd: string, args: readonly string[], options: SpawnSyncOptions = {}): RunResult {
  const result = tryRun(cmd, args, options);
  if (result.status !== 0) throw new CommandError([cmd, ...args].join(" "), result);
  return result;
}

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** Runs as the `postgres` OS user when we are root (Postgres refuses to run as root). */
export function runAsPostgres(cmd: string, args: readonly string[], options: SpawnSyncOptions = {}): RunResult {
  return isRoot() ? run("runuser", ["-u", "postgres", "--", cmd, ...args], options) : run(cmd, args, options);
}

export function tryRunAsPostgres(cmd: string, args: readonly string[], options: SpawnSyncOptions = {}): RunResult {
  return isRoot() ? tryRun("runuser", ["-u", "postgres", "--", cmd, ...args], options) : tryRun(cmd, args, options);
}
