// verify_jwt in the local Edge Runtime (local/gateway/functions.ts): read per function from a
// config.toml ([functions.<name>] verify_jwt, default true as on the platform), enforced before
// the function runs (401 with the platform's body, no worker started), re-read when the file
// changes. Runs an in-process FunctionHost serving the echo fixture with a config.toml this test
// writes; needs Deno, not the local stack.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FunctionConfigFile, parseFunctionsConfig } from "../../local/gateway/function-config.ts";
import { PROJECT_ROOT } from "../../local/stack/paths.ts";
import { signJwt } from "../../local/stack/keys.ts";
import { FIXTURES_CONFIG, startTestHost, type TestHost } from "./edge-runtime-harness.ts";

const HOUR_SECONDS = 3600;
const configDir = mkdtempSync(join(tmpdir(), "edge-runtime-config-"));
const configFile = join(configDir, "config.toml");
let t: TestHost;

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function bearer(token: string): RequestInit {
  return { headers: { authorization: `Bearer ${token}` } };
}

beforeAll(async () => {
  // No [functions.echo] section: verify_jwt takes the platform default, true.
  writeFileSync(configFile, "[functions.other]\nverify_jwt = false\n");
  t = await startTestHost({ configFile });
});

afterAll(async () => {
  await t.close();
  rmSync(configDir, { recursive: true, force: true });
});

describe("verify_jwt = true (the default)", () => {
  it("401 without an Authorization header, and the function never runs", async () => {
    const response = await t.call("echo");
    expect(response).toEqual({ status: 401, body: { code: 401, message: "Missing authorization header" } });
    expect(t.stats("echo")).toBeUndefined();
  });

  it("401 Invalid JWT for a bad signature, an expired token, garbage, a new-style key or no Bearer", async () => {
    const claims = { role: "anon", exp: nowSeconds() + HOUR_SECONDS };
    const rejected: RequestInit[] = [
      bearer(signJwt(claims, "not-the-stack-secret")),
      bearer(signJwt({ role: "anon", exp: nowSeconds() - HOUR_SECONDS }, t.jwtSecret)),
      bearer("not.a.jwt"),
      bearer("sb_publishable_abc123"),
      { headers: { authorization: signJwt(claims, t.jwtSecret) } },
    ];
    for (const init of rejected) {
      expect(await t.call("echo", init)).toEqual({ status: 401, body: { code: 401, message: "Invalid JWT" } });
    }
    expect(t.stats("echo")).toBeUndefined();
  });

  it("200 with a valid JWT signed with the stack's secret, passed on to the function", async () => {
    const token = signJwt({ role: "authenticated", sub: "user-1", exp: nowSeconds() + HOUR_SECONDS }, t.jwtSecret);
    const response = await t.call("echo/path?x=1", bearer(token));
    expect(response.status).toBe(200);
    expect((response.body.headers as Record<string, string>).authorization).toBe(`Bearer ${token}`);
    expect(response.body.path).toBe("/echo/path");
  });

  it("lets CORS preflight (OPTIONS) through without a JWT, like the CLI", async () => {
    expect((await t.call("echo", { method: "OPTIONS" })).status).toBe(200);
  });
});

describe("verify_jwt = false", () => {
  it("passes requests without a JWT once config.toml says so (re-read on change)", async () => {
    writeFileSync(
      configFile,
      "[functions.echo]\n# the cron path: no user JWT\nverify_jwt = false  # trailing comment\n",
    );
    const response = await t.call("echo");
    expect(response.status).toBe(200);
    expect(response.body.method).toBe("GET");
    writeFileSync(configFile, '[functions."echo"]\nverify_jwt = true\n');
    expect((await t.call("echo")).status).toBe(401);
  });

  it("answers 500 naming the file and line when verify_jwt is not a boolean", async () => {
    writeFileSync(configFile, '[functions.echo]\nverify_jwt = "no"\n');
    const response = await t.call("echo");
    expect(response.status).toBe(500);
    expect(response.body.message).toContain(`${configFile}:2: verify_jwt must be true or false`);
  });
});

describe("config.toml files of this project", () => {
  it("supabase/config.toml turns verify_jwt off for sync-customer-sales only", () => {
    const config = new FunctionConfigFile(join(PROJECT_ROOT, "supabase", "config.toml"));
    expect(config.settingsFor("sync-customer-sales")).toEqual({ verifyJwt: false });
    expect(config.settingsFor("some-other-function")).toEqual({ verifyJwt: true });
  });

  it("the fixtures' config.toml turns it off for every fixture the gateway's tests call without a JWT", () => {
    const settings = parseFunctionsConfig(readFileSync(FIXTURES_CONFIG, "utf8"), FIXTURES_CONFIG);
    for (const name of ["echo", "burn-cpu", "alloc", "sleep", "crash", "boot-burn"]) {
      expect(settings.get(name)).toEqual({ verifyJwt: false });
    }
  });

  it("ignores other tables and keys, and a missing file means every default", () => {
    const text =
      "[api]\nverify_jwt = false\n[functions.a]\nenabled = true\n[[functions.b]]\nverify_jwt = false\n[functions.c]\nverify_jwt=false\n";
    const settings = parseFunctionsConfig(text, "inline");
    expect(settings.get("a")).toEqual({});
    expect(settings.has("b")).toBe(false);
    expect(settings.get("c")).toEqual({ verifyJwt: false });
    expect(new FunctionConfigFile(join(configDir, "missing.toml")).settingsFor("x")).toEqual({ verifyJwt: true });
  });
});
