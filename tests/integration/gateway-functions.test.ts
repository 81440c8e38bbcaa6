// /functions/v1/<name>: the gateway runs the function under real Deno and proxies to it, the way
// Supabase's Edge Runtime does (prefix stripped, headers and body passed, status passed back).
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { FUNCTIONS_ENV_FILE } from "../../local/stack/paths.ts";
import { GATEWAY_URL } from "../support/stack.ts";

interface Echo {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
}

const savedEnvFile = existsSync(FUNCTIONS_ENV_FILE) ? readFileSync(FUNCTIONS_ENV_FILE, "utf8") : null;

afterAll(() => {
  if (savedEnvFile === null) rmSync(FUNCTIONS_ENV_FILE, { force: true });
  else writeFileSync(FUNCTIONS_ENV_FILE, savedEnvFile);
});

describe("functions proxy", () => {
  it("passes method, path below the function, query, headers and body", async () => {
    const response = await fetch(`${GATEWAY_URL}/functions/v1/echo/sub/path?x=1`, {
      method: "POST",
      headers: { "x-cron-secret": "s3cret", "content-type": "application/json" },
      body: JSON.stringify({ mode: "full" }),
    });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect(echo.method).toBe("POST");
    expect(echo.path).toBe("/echo/sub/path");
    expect(echo.query).toBe("?x=1");
    expect(echo.headers["x-cron-secret"]).toBe("s3cret");
    expect(JSON.parse(echo.body)).toEqual({ mode: "full" });
  });

  it("passes GET and the function's status through", async () => {
    const response = await fetch(`${GATEWAY_URL}/functions/v1/echo?status=418`);
    expect(response.status).toBe(418);
    expect(((await response.json()) as Echo).method).toBe("GET");
  });

  it("gives the function the platform's default env", async () => {
    const response = await fetch(`${GATEWAY_URL}/functions/v1/echo/env?name=SUPABASE_URL`);
    expect(await response.json()).toEqual({ name: "SUPABASE_URL", value: GATEWAY_URL });
    const secretKeys = await (await fetch(`${GATEWAY_URL}/functions/v1/echo/env?name=SUPABASE_SECRET_KEYS`)).json() as {
      value: string;
    };
    expect(Object.keys(JSON.parse(secretKeys.value) as object)).toEqual(["default"]);
  });

  it("restarts the function with new values when .local/functions.env changes", async () => {
    writeFileSync(FUNCTIONS_ENV_FILE, "ECHO_TEST_VALUE=first\n");
    const first = await (await fetch(`${GATEWAY_URL}/functions/v1/echo/env?name=ECHO_TEST_VALUE`)).json();
    expect(first).toEqual({ name: "ECHO_TEST_VALUE", value: "first" });
    // A different size guarantees a changed stamp even on filesystems with coarse mtimes.
    writeFileSync(FUNCTIONS_ENV_FILE, "ECHO_TEST_VALUE=second-value\n");
    const second = await (await fetch(`${GATEWAY_URL}/functions/v1/echo/env?name=ECHO_TEST_VALUE`)).json();
    expect(second).toEqual({ name: "ECHO_TEST_VALUE", value: "second-value" });
  });

  it("404 for a function that does not exist", async () => {
    const response = await fetch(`${GATEWAY_URL}/functions/v1/no-such-function`, { method: "POST" });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { message: string }).message).toContain("no-such-function");
  });
});
