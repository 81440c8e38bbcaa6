// The Postgres 15 cluster of the local stack: created once under .local/pg, configured like a
// Supabase database where it matters (pg_cron preloaded, pg_net's settings declared, port 54322,
// password auth over TCP), and run as the `postgres` OS user when the stack is driven by root.
// Its bootstrap superuser is `supabase_admin`, as on hosted Supabase; the `postgres` role is
// created (not a superuser) by local/compat/00_roles.sql.
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import {
  DB_ADMIN_PASSWORD,
  DB_ADMIN_USER,
  DB_HOST,
  DB_PORT,
  LOGS_DIR,
  PG_BIN_DIR,
  PG_DIR,
  PROJECT_ROOT,
} from "./paths.ts";
import { isRoot, run, runAsPostgres, tryRun, tryRunAsPostgres } from "./shell.ts";

const START_TIMEOUT_SECONDS = 60;
/** Where the cluster goes when the `postgres` OS user cannot reach the checkout (e.g. under /root). */
const FALLBACK_PARENT = "/var/lib/postgresql/sync-customer-sales";
/** Included from postgresql.conf; rewritten on every `stack:up` (reloaded when it changed). */
const SETTINGS_FILE = "conf.d.local-stack.conf";
/**
 * pg_net's settings with pg_net's defaults (supabase/pg_net src/worker.c, _PG_init). Declaring
 * them makes `alter system set pg_net.batch_size = …` work (as the superuser) exactly as on a
 * project where pg_net is loaded; the stand-in's worker reads them before every batch.
 */
const PG_NET_SETTINGS = ["pg_net.batch_size = 200", "pg_net.ttl = '6 hours'"] as const;

export interface ClusterPaths {
  /** The folder that holds data/, sock/ and postgres.log (may be outside the checkout). */
  base: string;
  data: string;
  socketDir: string;
  logFile: string;
}

function pathsUnder(base: string): ClusterPaths {
  return { base, data: join(base, "data"), socketDir: join(base, "sock"), logFile: join(base, "postgres.log") };
}

function postgresCanReach(dir: string): boolean {
  if (!isRoot()) return true;
  return tryRun("runuser", ["-u", "postgres", "--", "test", "-x", dir]).status === 0;
}

/** Resolves .local/pg, following the symlink to the fallback location when one was made. */
export function clusterPaths(): ClusterPaths {
  if (existsSync(PG_DIR) && lstatSync(PG_DIR).isSymbolicLink()) return pathsUnder(readlinkSync(PG_DIR));
  return pathsUnder(PG_DIR);
}

function prepareClusterDir(log: (line: string) => void): ClusterPaths {
  if (existsSync(PG_DIR)) return clusterPaths();
  mkdirSync(join(PROJECT_ROOT, ".local"), { recursive: true });
  if (postgresCanReach(join(PROJECT_ROOT, ".local"))) {
    mkdirSync(PG_DIR, { recursive: true });
  } else {
    // CI and users clone into folders we do not choose; if `postgres` cannot traverse them,
    // keep the cluster in a per-checkout folder it owns and link it from .local/pg.
    const id = createHash("sha256").update(PROJECT_ROOT).digest("hex").slice(0, 12);
    const base = join(FALLBACK_PARENT, id);
    mkdirSync(base, { recursive: true });
    symlinkSync(base, PG_DIR);
    log(`the postgres OS user cannot reach ${PROJECT_ROOT}; the cluster lives in ${base} (linked from .local/pg)`);
  }
  const paths = clusterPaths();
  mkdirSync(paths.socketDir, { recursive: true });
  if (isRoot()) run("chown", ["-R", "postgres:postgres", paths.base]);
  chmodSync(paths.socketDir, 0o700);
  return paths;
}

export function isInitialised(): boolean {
  return existsSync(join(clusterPaths().data, "PG_VERSION"));
}

export function isRunning(): boolean {
  if (!isInitialised()) return false;
  return tryRunAsPostgres(join(PG_BIN_DIR, "pg_ctl"), ["-D", clusterPaths().data, "status"]).status === 0;
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: DB_HOST, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function initCluster(paths: ClusterPaths): void {
  const pwfile = join(paths.base, "pwfile");
  writeFileSync(pwfile, `${DB_ADMIN_PASSWORD}\n`);
  if (isRoot()) run("chown", ["postgres:postgres", pwfile]);
  runAsPostgres(join(PG_BIN_DIR, "initdb"), [
    "-D",
    paths.data,
    "-U",
    DB_ADMIN_USER,
    "--pwfile",
    pwfile,
    "-E",
    "UTF8",
    "--locale=C.UTF-8",
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
  ]);
  rmSync(pwfile);
  run("sh", ["-c", `echo "include '${SETTINGS_FILE}'" >> '${join(paths.data, "postgresql.conf")}'`]);
  if (isRoot()) run("chown", ["-R", "postgres:postgres", paths.data]);
}

/** Settings that make this cluster behave like a Supabase database for this project. */
function clusterSettings(paths: ClusterPaths): string[] {
  return [
    `listen_addresses = '${DB_HOST}'`,
    `port = ${DB_PORT}`,
    `unix_socket_directories = '${paths.socketDir}'`,
    // A change here needs a restart (stack:down, stack:up); everything else is reloaded.
    "shared_preload_libraries = 'pg_cron'",
    "cron.database_name = 'postgres'",
    // pg_cron connects over libpq to run jobs (as each job's owner); the private socket with
    // trust auth avoids storing a password for it (the socket folder is readable by the postgres
    // OS user only).
    `cron.host = '${paths.socketDir}'`,
    ...PG_NET_SETTINGS,
    "timezone = 'UTC'",
    "log_timezone = 'UTC'",
  ];
}

/** Writes the settings file; true when its content changed (a cluster made by an older checkout). */
function writeSettings(paths: ClusterPaths): boolean {
  const file = join(paths.data, SETTINGS_FILE);
  const text = `${clusterSettings(paths).join("\n")}\n`;
  if (existsSync(file) && readFileSync(file, "utf8") === text) return false;
  writeFileSync(file, text);
  if (isRoot()) run("chown", ["postgres:postgres", file]);
  return true;
}

export async function startCluster(log: (line: string) => void): Promise<void> {
  const paths = prepareClusterDir(log);
  if (!isInitialised()) {
    log("creating the Postgres 15 cluster…");
    initCluster(paths);
  }
  const settingsChanged = writeSettings(paths);
  if (isRunning()) {
    if (settingsChanged) runAsPostgres(join(PG_BIN_DIR, "pg_ctl"), ["-D", paths.data, "reload"]);
    return;
  }
  if (await portInUse(DB_PORT)) {
    throw new Error(
      `port ${DB_PORT} is in use by another process, so this checkout's Postgres cannot start.\n` +
        `If it is another checkout's stack, run \`npm run stack:down\` there; otherwise free the port.`,
    );
  }
  mkdirSync(LOGS_DIR, { recursive: true });
  const linkedLog = join(LOGS_DIR, "postgres.log");
  if (!existsSync(linkedLog)) symlinkSync(paths.logFile, linkedLog);
  log("starting Postgres on 127.0.0.1:54322…");
  runAsPostgres(join(PG_BIN_DIR, "pg_ctl"), [
    "-D",
    paths.data,
    "-l",
    paths.logFile,
    "-w",
    "-t",
    String(START_TIMEOUT_SECONDS),
    "start",
  ]);
}

/** Restarts a running cluster (for changes its background workers only pick up at start). */
export function restartCluster(log: (line: string) => void): void {
  const paths = clusterPaths();
  log("restarting Postgres…");
  runAsPostgres(join(PG_BIN_DIR, "pg_ctl"), [
    "-D",
    paths.data,
    "-l",
    paths.logFile,
    "-m",
    "fast",
    "-w",
    "-t",
    String(START_TIMEOUT_SECONDS),
    "restart",
  ]);
}

export function stopCluster(): boolean {
  if (!isRunning()) return false;
  runAsPostgres(join(PG_BIN_DIR, "pg_ctl"), ["-D", clusterPaths().data, "-m", "fast", "-w", "stop"]);
  return true;
}

/** Deletes the cluster's files (the caller stops it first). */
export function destroyCluster(): void {
  const paths = clusterPaths();
  rmSync(paths.base, { recursive: true, force: true });
  rmSync(PG_DIR, { recursive: true, force: true });
  rmSync(join(LOGS_DIR, "postgres.log"), { force: true });
}
