// The stack's background services: the gateway (always) and the demo Ploomes simulator (started
// by `npm start` when no PLOOMES_BASE_URL is given). `stack:down` stops both.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type BackgroundService, type ServiceStatus, serviceStatus, startService, stopService } from "./background.ts";
import { parseEnvFile } from "./keys.ts";
import { GATEWAY_URL, LOCAL_DIR } from "./paths.ts";

export const SIMULATOR_PORT = 54340;
export const SIMULATOR_URL = `http://127.0.0.1:${SIMULATOR_PORT}`;
const SIMULATOR_HEALTH_URL = `${SIMULATOR_URL}/__sim/health`;
const SIMULATOR_KEY_FILE = join(LOCAL_DIR, "simulator.env");
/** Half the size of a Ploomes key, and generated per checkout: nothing key-like is committed. */
const SIMULATOR_KEY_BYTES = 32;

/** The demo dataset `npm start` syncs: big enough to page, quick to generate. */
export const DEMO_DATASET = { seed: 1, contacts: 2000, products: 150, deals: 10_000 } as const;

const gateway: BackgroundService = {
  name: "gateway",
  entry: "local/gateway/main.ts",
  args: [],
  healthUrl: `${GATEWAY_URL}/__local/health`,
  address: "127.0.0.1:54321",
};

export const startGateway = (log: (line: string) => void) => startService(gateway, log);
export const gatewayStatus = (): Promise<ServiceStatus> => serviceStatus(gateway);

/** The User-Key the demo simulator accepts, generated once per checkout. */
export function simulatorApiKey(): string {
  if (existsSync(SIMULATOR_KEY_FILE)) {
    const key = parseEnvFile(readFileSync(SIMULATOR_KEY_FILE, "utf8")).PLOOMES_API_KEY;
    if (key) return key;
  }
  const key = randomBytes(SIMULATOR_KEY_BYTES).toString("hex").toUpperCase();
  mkdirSync(dirname(SIMULATOR_KEY_FILE), { recursive: true });
  writeFileSync(SIMULATOR_KEY_FILE, `# The demo Ploomes simulator's User-Key (local only).\nPLOOMES_API_KEY=${key}\n`, {
    mode: 0o600,
  });
  return key;
}

function simulator(): BackgroundService {
  return {
    name: "simulator",
    entry: "local/ploomes-simulator/cli.ts",
    args: [
      "--port",
      String(SIMULATOR_PORT),
      "--seed",
      String(DEMO_DATASET.seed),
      "--contacts",
      String(DEMO_DATASET.contacts),
      "--products",
      String(DEMO_DATASET.products),
      "--deals",
      String(DEMO_DATASET.deals),
      "--api-key",
      simulatorApiKey(),
    ],
    healthUrl: SIMULATOR_HEALTH_URL,
    address: `127.0.0.1:${SIMULATOR_PORT}`,
  };
}

export const startDemoSimulator = (log: (line: string) => void) => startService(simulator(), log);
export const simulatorStatus = (): Promise<ServiceStatus> =>
  serviceStatus({ name: "simulator", healthUrl: SIMULATOR_HEALTH_URL });

/** Stops everything started in the background; true when something was running. */
export async function stopServices(): Promise<boolean> {
  const stopped = await Promise.all([stopService("simulator"), stopService("gateway")]);
  return stopped.some(Boolean);
}
