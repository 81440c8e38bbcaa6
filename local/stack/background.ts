// Background processes of the local stack (the gateway, the demo Ploomes simulator): started
// detached with their output in .local/logs/<name>.log, found again through .local/run/<name>.pid,
// considered up when their health URL answers with their own pid, and stopped together with
// their children (a detached process leads its own process group).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOGS_DIR, PROJECT_ROOT, RUN_DIR } from "./paths.ts";

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const HEALTH_TIMEOUT_MS = 2_000;
const POLL_MS = 100;

export interface BackgroundService {
  /** Also the name of its pid and log files. */
  name: string;
  /** TypeScript entry point run with `node --import tsx`. */
  entry: string;
  args: string[];
  /** Answers 200 with a JSON body carrying `pid` when the service is up. */
  healthUrl: string;
  /** Human-readable address, for messages. */
  address: string;
  env?: NodeJS.ProcessEnv;
}

export type ServiceStatus = "running" | "stopped" | "port-taken";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pidFile = (name: string) => join(RUN_DIR, `${name}.pid`);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: no such process — exactly the answer asked for
  }
}

export function servicePid(name: string): number | null {
  const file = pidFile(name);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
}

async function healthPid(url: string): Promise<number | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    if (!response.ok) return null;
    const body = (await response.json()) as { pid?: unknown };
    return typeof body.pid === "number" ? body.pid : -1;
  } catch {
    return null; // not listening (yet): callers poll or report "stopped"
  }
}

export async function serviceStatus(service: Pick<BackgroundService, "name" | "healthUrl">): Promise<ServiceStatus> {
  const pid = servicePid(service.name);
  const answering = await healthPid(service.healthUrl);
  if (pid !== null && answering === pid) return "running";
  return answering === null ? "stopped" : "port-taken";
}

export async function startService(service: BackgroundService, log: (line: string) => void): Promise<void> {
  const status = await serviceStatus(service);
  if (status === "running") return;
  if (status === "port-taken") {
    throw new Error(
      `${service.address} answers, but not with this checkout's ${service.name}; stop the other one (npm run stack:down in its checkout) and retry`,
    );
  }
  mkdirSync(LOGS_DIR, { recursive: true });
  mkdirSync(RUN_DIR, { recursive: true });
  const out = openSync(join(LOGS_DIR, `${service.name}.log`), "a");
  log(`starting the ${service.name} on ${service.address}…`);
  const child = spawn(process.execPath, ["--import", "tsx", join(PROJECT_ROOT, service.entry), ...service.args], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ["ignore", out, out],
    env: { ...process.env, ...service.env },
  });
  child.unref();
  if (child.pid === undefined) {
    throw new Error(`could not start the ${service.name}: ${process.execPath} did not spawn`);
  }
  writeFileSync(pidFile(service.name), String(child.pid));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if ((await serviceStatus(service)) === "running") return;
    if (child.exitCode !== null) break;
    await sleep(POLL_MS);
  }
  throw new Error(
    `the ${service.name} did not come up within ${READY_TIMEOUT_MS} ms; see .local/logs/${service.name}.log`,
  );
}

export async function stopService(name: string): Promise<boolean> {
  const pid = servicePid(name);
  if (pid === null) {
    rmSync(pidFile(name), { force: true });
    return false;
  }
  process.kill(-pid, "SIGTERM");
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(POLL_MS);
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group is already gone, which is the goal
  }
  rmSync(pidFile(name), { force: true });
  return true;
}
