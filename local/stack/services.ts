// The gateway process (local/gateway/main.ts): started in the background with its log under
// .local/logs, found again through its pid file, and stopped together with the Deno processes
// it spawned (they share its process group).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { GATEWAY_PID_FILE, GATEWAY_URL, LOGS_DIR, PROJECT_ROOT, RUN_DIR } from "./paths.ts";

const HEALTH_PATH = "/__local/health";
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const POLL_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function gatewayPid(): number | null {
  if (!existsSync(GATEWAY_PID_FILE)) return null;
  const pid = Number(readFileSync(GATEWAY_PID_FILE, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: no such process — exactly the answer we asked for
  }
}

async function health(): Promise<{ pid: number } | null> {
  try {
    const response = await fetch(`${GATEWAY_URL}${HEALTH_PATH}`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) return null;
    return (await response.json()) as { pid: number };
  } catch {
    return null; // not listening (yet): the callers poll or report "stopped"
  }
}

export async function gatewayStatus(): Promise<"running" | "stopped" | "port-taken"> {
  const pid = gatewayPid();
  const answer = await health();
  if (pid && answer?.pid === pid) return "running";
  if (answer) return "port-taken";
  return "stopped";
}

export async function startGateway(log: (line: string) => void): Promise<void> {
  const status = await gatewayStatus();
  if (status === "running") return;
  if (status === "port-taken") {
    throw new Error(`port 54321 answers but not with this checkout's gateway; stop the other stack (npm run stack:down in its checkout) and retry`);
  }
  mkdirSync(LOGS_DIR, { recursive: true });
  mkdirSync(RUN_DIR, { recursive: true });
  const out = openSync(join(LOGS_DIR, "gateway.log"), "a");
  log("starting the gateway on 127.0.0.1:54321…");
  const child = spawn(process.execPath, ["--import", "tsx", join(PROJECT_ROOT, "local", "gateway", "main.ts")], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ["ignore", out, out],
    env: process.env,
  });
  child.unref();
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if ((await gatewayStatus()) === "running") return;
    if (child.exitCode !== null) break;
    await sleep(POLL_MS);
  }
  throw new Error(`the gateway did not come up within ${READY_TIMEOUT_MS} ms; see .local/logs/gateway.log`);
}

export async function stopGateway(): Promise<boolean> {
  const pid = gatewayPid();
  if (!pid) {
    rmSync(GATEWAY_PID_FILE, { force: true });
    return false;
  }
  // Negative pid: the whole process group, i.e. the gateway and its Deno children.
  process.kill(-pid, "SIGTERM");
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(POLL_MS);
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group is already gone, which is the goal
  }
  rmSync(GATEWAY_PID_FILE, { force: true });
  return true;
}
