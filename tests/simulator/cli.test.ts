// The command-line entry: `npm run simulator -- …` starts a server that prints its address and
// key; the acceptance curl (three deals, then 403 for $select=Win) is repeated here, and the
// server runs with the `--line-items-on` it was given.

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const STARTUP_TIMEOUT_MS = 20_000;
const CLI = ["--import", "tsx", "local/ploomes-simulator/cli.ts"];
const REPO = new URL("../../", import.meta.url);
let child: ChildProcess;
let baseUrl = "";
let apiKey = "";

beforeAll(async () => {
  child = spawn(process.execPath, [
    ...CLI,
    "--port",
    "0",
    "--deals",
    "500",
    "--seed",
    "5",
    "--line-items-on",
    "refuseDealExpansion",
  ], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    errors += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the CLI printed no key within ${STARTUP_TIMEOUT_MS} ms: ${output}${errors}`)),
      STARTUP_TIMEOUT_MS,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const url = /^PLOOMES_BASE_URL=(\S+)$/m.exec(output)?.[1];
      const key = /^PLOOMES_API_KEY=(\S+)$/m.exec(output)?.[1];
      if (url && key) {
        clearTimeout(timer);
        baseUrl = url;
        apiKey = key;
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the CLI exited with ${String(code)}: ${output}${errors}`));
    });
  });
}, STARTUP_TIMEOUT_MS + 5_000);

afterAll(async () => {
  if (child.exitCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
});

describe("npm run simulator", () => {
  it("prints a Ploomes-like key that the server accepts", async () => {
    expect(apiKey).toMatch(/^[0-9A-F]{128}$/);
    const response = await fetch(`${baseUrl}/Deals?$select=Id,ContactId,StatusId,Amount&$top=3&$orderby=Id`, {
      headers: { "User-Key": apiKey },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { value: Record<string, unknown>[] };
    expect(body.value).toHaveLength(3);
    expect(Object.keys(body.value[0] ?? {})).toEqual(["Id", "ContactId", "StatusId", "Amount"]);
  });

  it("answers 403 for $select=Win", async () => {
    const response = await fetch(`${baseUrl}/Deals?$select=Win`, { headers: { "User-Key": apiKey } });
    expect(response.status).toBe(403);
  });

  it("applies --line-items-on: a deal's Products expansion is refused, orders are served", async () => {
    const headers = { "User-Key": apiKey };
    expect((await fetch(`${baseUrl}/Deals?$top=1&$expand=Products`, { headers })).status).toBe(403);
    expect((await fetch(`${baseUrl}/Orders?$top=1&$expand=Products`, { headers })).status).toBe(200);
    const settings = (await (await fetch(`${baseUrl}/__sim/settings`)).json()) as { lineItemsOn: string };
    expect(settings.lineItemsOn).toBe("refuseDealExpansion");
  });

  it("refuses an unknown --line-items-on value with the usage text", async () => {
    const bad = spawn(process.execPath, [...CLI, "--port", "0", "--deals", "10", "--line-items-on", "invoices"], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let errors = "";
    bad.stderr?.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
    });
    const [code] = (await once(bad, "exit")) as [number | null];
    expect(code).toBe(1);
    expect(errors).toContain("--line-items-on must be one of everywhere, deals, orders, quotes, refuseDealExpansion");
    expect(errors).toContain("usage:");
  }, STARTUP_TIMEOUT_MS);

  it("stops on SIGTERM", async () => {
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });
});
