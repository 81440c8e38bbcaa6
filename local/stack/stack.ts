// The local stack's lifecycle: up (idempotent), down (stops exactly what up started), status,
// reset. Used by the stack:* npm scripts, `npm start` and `npm test`.
import { existsSync } from "node:fs";
import { DB_ADMIN_URL, DB_ADMIN_USER, DB_URL, DB_USER, GATEWAY_URL, LOGS_DIR, STACK_ENV_FILE } from "./paths.ts";
import { clusterPaths, destroyCluster, isRunning, restartCluster, startCluster, stopCluster } from "./cluster.ts";
import { applyCompatLayer, installPgNetStandIn, pushMigrations, storeScheduleSecrets } from "./database.ts";
import { ensureStackKeys, readStackKeys } from "./keys.ts";
import { ensurePackages } from "./packages.ts";
import { ensureAdminRole, superuserNames } from "./roles.ts";
import { gatewayStatus, SIMULATOR_URL, simulatorStatus, startGateway, stopServices } from "./services.ts";

const log = (line: string) => process.stdout.write(`[stack] ${line}\n`);

export async function stackUp(): Promise<void> {
  ensurePackages(log);
  installPgNetStandIn();
  const keys = ensureStackKeys();
  await startCluster(log);
  ensureAdminRole(log);
  const compat = applyCompatLayer();
  for (const upgrade of compat.upgrades) log(upgrade);
  if (compat.restartNeeded) restartCluster(log);
  const pushed = pushMigrations();
  if (!/up to date/i.test(pushed)) log(pushed);
  storeScheduleSecrets(keys.CRON_SECRET);
  await startGateway(log);
}

export async function stackReset(): Promise<void> {
  await stackDown();
  destroyCluster();
  log("database deleted; recreating it");
  await stackUp();
}

export async function stackDown(): Promise<void> {
  const services = await stopServices();
  const db = stopCluster();
  log(services || db ? "stopped" : "nothing was running");
}

/** Which role is the superuser: supabase_admin only, as on hosted Supabase. */
function rolesLine(running: boolean): string {
  const superusers = running ? superuserNames() : null;
  if (superusers === null) return "(database stopped)";
  if (superusers.length === 1 && superusers[0] === DB_ADMIN_USER) {
    return `superuser ${DB_ADMIN_USER} (${DB_ADMIN_URL}); ${DB_USER} is not one, as on hosted Supabase ` +
      `(migrations, tests, the gateway and pg_cron jobs run as ${DB_USER})`;
  }
  return `superuser(s): ${superusers.join(", ") || "none"} — not the hosted shape; run \`npm run stack:up\` to fix it`;
}

export async function printStatus(): Promise<void> {
  const keys = readStackKeys();
  const running = isRunning();
  const db = running ? "running" : "stopped";
  const gateway = await gatewayStatus();
  const lines = [
    `Postgres   ${db.padEnd(10)} ${DB_URL}`,
    `           data in ${clusterPaths().data}`,
    `Roles      ${rolesLine(running)}`,
    `Gateway    ${gateway.padEnd(10)} ${GATEWAY_URL}  (RPC: /rest/v1/rpc/<fn>, functions: /functions/v1/<name>)`,
    `Simulator  ${(await simulatorStatus()).padEnd(10)} ${SIMULATOR_URL}  (demo Ploomes API, started by npm start)`,
    `Logs       ${LOGS_DIR}`,
    `Keys       ${existsSync(STACK_ENV_FILE) ? STACK_ENV_FILE : "(not generated yet: npm run stack:up)"}`,
  ];
  if (keys) {
    lines.push(
      `  anon key          ${keys.ANON_KEY}`,
      `  service_role key  ${keys.SERVICE_ROLE_KEY}`,
      `  publishable key   ${keys.PUBLISHABLE_KEY}`,
      `  secret key        ${keys.SECRET_KEY}`,
      `  JWT secret        ${keys.JWT_SECRET}`,
      `  CRON_SECRET       ${keys.CRON_SECRET}`,
      `  webhook key       ${keys.PLOOMES_WEBHOOK_KEY}  (PLOOMES_WEBHOOK_KEY of ploomes-webhook)`,
    );
  }
  lines.push("Stop with `npm run stack:down`.");
  process.stdout.write(`${lines.join("\n")}\n`);
}
