// The Debian packages the stack needs beyond Postgres 15 itself. As root they are installed;
// otherwise the exact command to run is printed and the stack stops.
import { existsSync } from "node:fs";
import { PG_BIN_DIR } from "./paths.ts";
import { isRoot, run, tryRun } from "./shell.ts";

export const REQUIRED_PACKAGES = [
  "postgresql-15-cron",
  "postgresql-15-pgtap",
  "postgresql-15-plpgsql-check",
  "libtap-parser-sourcehandler-pgtap-perl",
] as const;

function isInstalled(pkg: string): boolean {
  const result = tryRun("dpkg-query", ["-W", "-f=${Status}", pkg]);
  return result.status === 0 && result.stdout.includes("install ok installed");
}

export function missingPackages(): string[] {
  const missing: string[] = REQUIRED_PACKAGES.filter((pkg) => !isInstalled(pkg));
  if (!existsSync(`${PG_BIN_DIR}/postgres`)) missing.unshift("postgresql-15");
  return missing;
}

export function ensurePackages(log: (line: string) => void): void {
  const missing = missingPackages();
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y ${missing.join(" ")}`;
  if (!isRoot()) {
    throw new Error(
      `missing Debian packages: ${
        missing.join(", ")
      }.\nInstall them as root, then run this again:\n  sudo sh -c '${command}'`,
    );
  }
  log(`installing ${missing.join(", ")} (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update", "-qq"], { env });
  run("apt-get", ["install", "-y", "-qq", ...missing], { env });
}
