import { describe, expect, it } from "vitest";
import { parseConfig } from "../../supabase/functions/_shared/config/config.ts";
import type { Config, ConfigResult, DatabaseAccess, Env } from "../../supabase/functions/_shared/config/config.ts";
import { handleSyncRequest } from "../../supabase/functions/_shared/http/handler.ts";
import type { HandlerDeps } from "../../supabase/functions/_shared/http/handler.ts";
import type { SyncRequest } from "../../supabase/functions/_shared/http/request-body.ts";
import type { SyncOutcome } from "../../supabase/functions/_shared/sync/runner.ts";
import { API_KEY, BASE_ENV, CRON_SECRET, SERVICE_KEY } from "./sync-fakes.ts";

const URL_BASE = "http://localhost:54321/functions/v1/sync-customer-sales";
const OK_OUTCOME: SyncOutcome = { status: 200, body: { runId: 7, status: "succeeded", pages: 2 } };

interface RecordCall {
  readonly database: DatabaseAccess;
  readonly request: SyncRequest;
  readonly error: string;
  readonly hint: string;
}

interface HarnessOptions {
  /** Parsed into the config unless `config` is given. */
  readonly env?: Env;
  /** Defaults to parseConfig(env). */
  readonly config?: ConfigResult;
  readonly outcome?: SyncOutcome | Error;
  readonly recordFailure?: () => Promise<number>;
}

function harness(options: HarnessOptions = {}) {
  const env = options.env ?? BASE_ENV;
  const runCalls: { config: Config; request: SyncRequest }[] = [];
  const recordCalls: RecordCall[] = [];
  const events: Record<string, unknown>[] = [];
  const outcome = options.outcome ?? OK_OUTCOME;
  const deps: HandlerDeps = {
    config: options.config ?? parseConfig(env),
    runSync: async (config, request) => {
      runCalls.push({ config, request });
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    recordFailure: async (database, request, error, hint) => {
      recordCalls.push({ database, request, error, hint });
      return options.recordFailure ? options.recordFailure() : 77;
    },
    log: (event) => {
      events.push(event);
    },
  };
  const handle = async (request: Request) => {
    const response = await handleSyncRequest(request, deps);
    const text = await response.text();
    const body: unknown = JSON.parse(text);
    if (!isRecord(body)) throw new Error(`body is not an object: ${text}`);
    return { response, text, body };
  };
  return { deps, runCalls, recordCalls, events, handle };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const auth = { "x-cron-secret": CRON_SECRET };

function post(body: string | null = null, headers: Record<string, string> = auth): Request {
  return new Request(URL_BASE, { method: "POST", body, headers });
}

function get(search = "", headers: Record<string, string> = auth): Request {
  return new Request(`${URL_BASE}${search}`, { method: "GET", headers });
}

function withoutCronSecret(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([name]) => name !== "CRON_SECRET"));
}

describe("handleSyncRequest: 405", () => {
  it.each([["PUT"], ["DELETE"], ["PATCH"], ["OPTIONS"]])("refuses %s with an Allow header", async (method) => {
    const { handle, runCalls } = harness();
    const { response, body } = await handle(new Request(URL_BASE, { method, headers: auth }));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, POST");
    expect(body["error"]).toBe(`method ${method} not allowed; use POST or GET`);
    expect(runCalls).toHaveLength(0);
  });

  it("comes before the CRON_SECRET check", async () => {
    const { handle } = harness({ env: withoutCronSecret(BASE_ENV) });
    const { response } = await handle(new Request(URL_BASE, { method: "PUT" }));
    expect(response.status).toBe(405);
  });
});

describe("handleSyncRequest: CRON_SECRET unset or weak → 500 before auth", () => {
  it("fails closed when CRON_SECRET is unset, whatever the caller presents", async () => {
    const env = withoutCronSecret(BASE_ENV);
    const { handle, runCalls, recordCalls } = harness({ env });
    for (
      const request of [
        post(null, {}),
        post(null, { "x-cron-secret": "anything" }),
        get("", { authorization: "Bearer x" }),
      ]
    ) {
      const { response, body } = await handle(request);
      expect(response.status).toBe(500);
      expect(body["problems"]).toEqual([{
        variable: "CRON_SECRET",
        message: expect.stringContaining("CRON_SECRET is not set"),
      }]);
      expect(body["error"]).toMatch(/^configuration error: 1 configuration problem: CRON_SECRET is not set/);
      expect(typeof body["hint"]).toBe("string");
    }
    expect(runCalls).toHaveLength(0);
    expect(recordCalls).toHaveLength(0);
  });

  it("fails closed when CRON_SECRET is shorter than 32 characters, without echoing it", async () => {
    const weak = "weak-secret-31-characters-long!";
    expect(weak).toHaveLength(31);
    const env = { ...BASE_ENV, CRON_SECRET: weak };
    const { handle, runCalls } = harness({ env });
    // Even the caller presenting the (weak) secret itself is refused: fail closed, not open.
    const { response, text, body } = await handle(post(null, { "x-cron-secret": weak }));
    expect(response.status).toBe(500);
    expect(body["error"]).toContain("CRON_SECRET must be at least 32 characters (it has 31)");
    expect(text).not.toContain(weak);
    expect(runCalls).toHaveLength(0);
  });

  it("names a misspelled CRON_SECRET variable without echoing its value", async () => {
    const value = "misspelled-secret-0123456789abcdef0123";
    const env = { ...withoutCronSecret(BASE_ENV), CRON_SECERT: value };
    const { handle } = harness({ env });
    const { response, text } = await handle(post(null, { "x-cron-secret": value }));
    expect(response.status).toBe(500);
    expect(text).toContain("CRON_SECERT");
    expect(text).not.toContain(value);
  });

  it("accepts a CRON_SECRET of exactly 32 characters", async () => {
    const secret = "s".repeat(32);
    const env = { ...BASE_ENV, CRON_SECRET: secret };
    const { handle } = harness({ env });
    const { response } = await handle(post(null, { "x-cron-secret": secret }));
    expect(response.status).toBe(200);
  });
});

describe("handleSyncRequest: 401", () => {
  it.each([
    ["no credentials", {}],
    ["a wrong x-cron-secret", { "x-cron-secret": "wrong-secret-0123456789abcdef0123456789" }],
    ["a prefix of the secret", { "x-cron-secret": CRON_SECRET.slice(0, -1) }],
    ["a wrong bearer", { authorization: "Bearer wrong-secret-0123456789abcdef0123456789" }],
    ["the secret without the Bearer scheme", { authorization: CRON_SECRET }],
    ["a wrong x-cron-secret next to a right bearer", {
      "x-cron-secret": "wrong",
      authorization: `Bearer ${CRON_SECRET}`,
    }],
  ])("refuses %s with exactly {error: unauthorized}", async (_label, headers: Record<string, string>) => {
    const { handle, runCalls, recordCalls } = harness();
    const { response, text } = await handle(post(null, headers));
    expect(response.status).toBe(401);
    expect(text).toBe('{"error":"unauthorized"}');
    expect(runCalls).toHaveLength(0);
    expect(recordCalls).toHaveLength(0);
  });

  it("comes before body validation: a bad body with a wrong secret is 401, not 400", async () => {
    const { handle } = harness();
    const { response } = await handle(post('{"mode":"sometimes","extra":1}', { "x-cron-secret": "wrong" }));
    expect(response.status).toBe(401);
  });

  it("comes before the size check: an oversized body with no secret is 401, not 413", async () => {
    const { handle } = harness();
    const { response } = await handle(post("{}", { "content-length": "99999" }));
    expect(response.status).toBe(401);
  });

  it("comes before a bad GET query", async () => {
    const { handle } = harness();
    const { response } = await handle(get("?dryRun=maybe", {}));
    expect(response.status).toBe(401);
  });

  it("comes before configuration problems: nothing is recorded for an unauthenticated caller", async () => {
    const env = { ...BASE_ENV, PLOOMES_API_KEY: undefined };
    const { handle, recordCalls } = harness({ env });
    const { response } = await handle(post(null, {}));
    expect(response.status).toBe(401);
    expect(recordCalls).toHaveLength(0);
  });
});

describe("handleSyncRequest: authenticated", () => {
  it("accepts x-cron-secret and hands the parsed config and default request to runSync", async () => {
    const { handle, runCalls, deps } = harness();
    const { response, body } = await handle(post());
    expect(response.status).toBe(200);
    expect(body).toEqual(OK_OUTCOME.body);
    expect(runCalls).toHaveLength(1);
    if (!deps.config.ok) throw new Error("expected a valid config");
    expect(runCalls[0]?.config).toBe(deps.config.config);
    expect(runCalls[0]?.request).toEqual({ mode: "auto", dryRun: false, trigger: "manual" });
  });

  it("accepts Authorization: Bearer", async () => {
    const { handle, runCalls } = harness();
    const { response } = await handle(post(null, { authorization: `Bearer ${CRON_SECRET}` }));
    expect(response.status).toBe(200);
    expect(runCalls).toHaveLength(1);
  });

  it("passes the POST body's options to runSync", async () => {
    const { handle, runCalls } = harness();
    await handle(post('{"mode":"full","dryRun":true,"trigger":"cron"}'));
    expect(runCalls[0]?.request).toEqual({ mode: "full", dryRun: true, trigger: "cron" });
  });

  it("passes a GET query's options to runSync", async () => {
    const { handle, runCalls } = harness();
    const { response } = await handle(get("?mode=incremental&dryRun=true"));
    expect(response.status).toBe(200);
    expect(runCalls[0]?.request).toEqual({ mode: "incremental", dryRun: true, trigger: "manual" });
  });

  it("answers 400 listing the problems of a bad body, without running", async () => {
    const { handle, runCalls } = harness();
    const { response, body } = await handle(post('{"mode":"sometimes","extra":1}'));
    expect(response.status).toBe(400);
    expect(body["error"]).toBe("invalid request");
    const problems = body["problems"];
    expect(Array.isArray(problems) ? problems.length : 0).toBe(2);
    expect(String(body["hint"])).toContain('"mode"');
    expect(runCalls).toHaveLength(0);
  });

  it("answers 400 for invalid JSON", async () => {
    const { handle } = harness();
    const { response, body } = await handle(post("{not json"));
    expect(response.status).toBe(400);
    expect(String(body["problems"])).toMatch(/^body is not valid JSON/);
  });

  it("answers 400 for a bad GET query", async () => {
    const { handle, runCalls } = harness();
    const { response } = await handle(get("?dryRun=maybe"));
    expect(response.status).toBe(400);
    expect(runCalls).toHaveLength(0);
  });

  it("answers 413 for a body over 16 KiB", async () => {
    const { handle, runCalls } = harness();
    const { response, body } = await handle(post(`{}${" ".repeat(16 * 1024)}`));
    expect(response.status).toBe(413);
    expect(body["error"]).toBe("request body too large");
    expect(body["problems"]).toEqual(["body is 16386 bytes; the limit is 16384"]);
    expect(runCalls).toHaveLength(0);
  });

  it("checks the body before reporting configuration problems (400 wins, nothing recorded)", async () => {
    const env = { ...BASE_ENV, PLOOMES_API_KEY: undefined };
    const { handle, recordCalls } = harness({ env });
    const { response } = await handle(post('{"mode":"sometimes"}'));
    expect(response.status).toBe(400);
    expect(recordCalls).toHaveLength(0);
  });
});

describe("handleSyncRequest: configuration problems → 500", () => {
  it("without database access: 500 naming the variable, recorded:false, recordFailure not called", async () => {
    const env = { ...BASE_ENV, PLOOMES_API_KEY: undefined, SUPABASE_URL: undefined };
    const { handle, recordCalls, runCalls } = harness({ env });
    const { response, body } = await handle(post());
    expect(response.status).toBe(500);
    expect(body["recorded"]).toBe(false);
    expect(body).not.toHaveProperty("runId");
    const variables = Array.isArray(body["problems"])
      ? body["problems"].map((problem: unknown) => (isRecord(problem) ? problem["variable"] : null))
      : [];
    expect(variables).toEqual(["PLOOMES_API_KEY", "SUPABASE_URL"]);
    expect(body["error"]).toMatch(/^configuration error: 2 configuration problems: PLOOMES_API_KEY is not set/);
    expect(recordCalls).toHaveLength(0);
    expect(runCalls).toHaveLength(0);
  });

  it("with database access: records the failure with the request's trigger and mode and returns its run id", async () => {
    const env = { ...BASE_ENV, PLOOMES_API_KEY: undefined };
    const { handle, recordCalls, runCalls } = harness({ env });
    const { response, body } = await handle(post('{"mode":"full","trigger":"cron"}'));
    expect(response.status).toBe(500);
    expect(body).toMatchObject({ runId: 77, recorded: true });
    expect(recordCalls).toHaveLength(1);
    const call = recordCalls[0];
    expect(call?.database).toEqual({ url: "https://abcd.supabase.co", secretKey: SERVICE_KEY });
    expect(call?.request).toEqual({ mode: "full", dryRun: false, trigger: "cron" });
    expect(call?.error).toMatch(/^configuration error: 1 configuration problem: PLOOMES_API_KEY is not set/);
    expect(call?.error).toBe(body["error"]);
    expect(call?.hint).toBe(body["hint"]);
    expect(runCalls).toHaveLength(0);
  });

  it("records a GET request's options too", async () => {
    const env = { ...BASE_ENV, PLOOMES_API_KEY: undefined };
    const { handle, recordCalls } = harness({ env });
    await handle(get("?mode=incremental&trigger=continue"));
    expect(recordCalls[0]?.request).toEqual({ mode: "incremental", dryRun: false, trigger: "continue" });
  });

  it("when recording throws: still 500 with the problems, recorded:false and recordError", async () => {
    const env = { ...BASE_ENV, PLOOMES_API_KEY: undefined };
    const { handle, recordCalls } = harness({
      env,
      recordFailure: async () => {
        throw new Error("connect ECONNREFUSED 127.0.0.1:54321");
      },
    });
    const { response, body } = await handle(post());
    expect(recordCalls).toHaveLength(1);
    expect(response.status).toBe(500);
    expect(body).toMatchObject({ recorded: false, recordError: "connect ECONNREFUSED 127.0.0.1:54321" });
    expect(body).not.toHaveProperty("runId");
    expect(String(body["error"])).toContain("PLOOMES_API_KEY");
  });

  it("never includes secret values in the response or the recorded error", async () => {
    const misnamedKey = "misnamed-ploomes-key-ABCDEF0123456789";
    const env: Env = {
      CRON_SECRET,
      SUPABASE_URL: "https://abcd.supabase.co",
      SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
      PLOOME_API_KEY: misnamedKey, // near miss of PLOOMES_API_KEY
      SYNC_TIME_BUDGET_MS: "999999", // a non-secret problem, for contrast
    };
    const { handle, recordCalls } = harness({ env });
    const { response, text } = await handle(post());
    expect(response.status).toBe(500);
    expect(text).toContain("PLOOME_API_KEY");
    expect(text).toContain("SYNC_TIME_BUDGET_MS");
    for (const secret of [misnamedKey, CRON_SECRET, SERVICE_KEY]) {
      expect(text).not.toContain(secret);
      expect(recordCalls[0]?.error).not.toContain(secret);
    }
  });

  it("does not echo an invalid SUPABASE_SECRET_KEYS value", async () => {
    const broken = `{not-json ${["sb", "secret", "SHOULD_NOT_LEAK"].join("_")}`;
    const env: Env = { ...BASE_ENV, SUPABASE_SERVICE_ROLE_KEY: undefined, SUPABASE_SECRET_KEYS: broken };
    const { handle } = harness({ env });
    const { response, text } = await handle(post());
    expect(response.status).toBe(500);
    expect(text).toContain("SUPABASE_SECRET_KEYS");
    expect(text).not.toContain("SHOULD_NOT_LEAK");
    expect(text).not.toContain(API_KEY);
  });

  // Regression: a URL refused for containing credentials used to be quoted back in full, so the
  // password reached the 500 body and, through recordFailure, the runs table.
  it("does not echo the password of a URL refused for containing credentials", async () => {
    const password = "UrlPassw0rd-ShouldNotLeak";
    const env: Env = { ...BASE_ENV, PLOOMES_BASE_URL: `https://apiuser:${password}@public-api2.ploomes.com` };
    const { handle, recordCalls } = harness({ env });
    const { response, text } = await handle(post());
    expect(response.status).toBe(500);
    expect(text).toContain("PLOOMES_BASE_URL");
    expect(text).not.toContain(password);
    expect(recordCalls[0]?.error).not.toContain(password);
  });
});

describe("handleSyncRequest: configuration check", () => {
  const DEFAULT_SETTINGS = {
    check: "ok",
    ploomesBaseUrl: "https://public-api2.ploomes.com",
    requestsPerMinute: 90,
    pageSize: 300,
    requestTimeoutMs: 30000,
    lineItemsSource: "auto",
    timeBudgetMs: 120000,
    cpuBudgetMs: 800,
    fullEveryHours: 168,
    overlapSeconds: 300,
    maxRejectRatio: 0.01,
    maxDeleteRatio: 0.1,
  };

  it("answers 200 with the effective settings, running and recording nothing", async () => {
    const { handle, runCalls, recordCalls } = harness();
    const { response, body } = await handle(post('{"check":true}'));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(body).toEqual(DEFAULT_SETTINGS);
    expect(runCalls).toHaveLength(0);
    expect(recordCalls).toHaveLength(0);
  });

  it("reports the values set, never a secret or the database", async () => {
    const env: Env = {
      ...BASE_ENV,
      PLOOMES_BASE_URL: "https://ploomes.example.com/",
      PLOOMES_REQUESTS_PER_MINUTE: "60",
      PLOOMES_PAGE_SIZE: "100",
      PLOOMES_REQUEST_TIMEOUT_MS: "15000",
      PLOOMES_LINE_ITEMS_SOURCE: "Orders",
      SYNC_TIME_BUDGET_MS: "90000",
      SYNC_CPU_BUDGET_MS: "500",
      SYNC_FULL_EVERY_HOURS: "24.5",
      SYNC_OVERLAP_SECONDS: "0",
      SYNC_MAX_REJECT_RATIO: "0.05",
      SYNC_MAX_DELETE_RATIO: "0.25",
    };
    const { handle, runCalls, recordCalls } = harness({ env });
    const { response, text, body } = await handle(post('{"check":true}'));
    expect(response.status).toBe(200);
    expect(body).toEqual({
      check: "ok",
      ploomesBaseUrl: "https://ploomes.example.com",
      requestsPerMinute: 60,
      pageSize: 100,
      requestTimeoutMs: 15000,
      lineItemsSource: "orders",
      timeBudgetMs: 90000,
      cpuBudgetMs: 500,
      fullEveryHours: 24.5,
      overlapSeconds: 0,
      maxRejectRatio: 0.05,
      maxDeleteRatio: 0.25,
    });
    for (const secret of [API_KEY, CRON_SECRET, SERVICE_KEY]) expect(text).not.toContain(secret);
    expect(text).not.toContain("abcd.supabase.co");
    expect(runCalls).toHaveLength(0);
    expect(recordCalls).toHaveLength(0);
  });

  it("wins over mode and dryRun: nothing runs", async () => {
    const { handle, runCalls } = harness();
    const { response, body } = await handle(post('{"check":true,"mode":"full","dryRun":true,"trigger":"cli"}'));
    expect(response.status).toBe(200);
    expect(body).toEqual(DEFAULT_SETTINGS);
    expect(runCalls).toHaveLength(0);
  });

  it("answers GET ?check=true the same way", async () => {
    const { handle, runCalls } = harness();
    const { response, body } = await handle(get("?check=true"));
    expect(response.status).toBe(200);
    expect(body).toEqual(DEFAULT_SETTINGS);
    expect(runCalls).toHaveLength(0);
  });

  it("with check=false runs the sync as usual", async () => {
    const { handle, runCalls } = harness();
    const { response } = await handle(get("?check=false"));
    expect(response.status).toBe(200);
    expect(runCalls[0]?.request).toEqual({ mode: "auto", dryRun: false, trigger: "manual" });
  });

  it("with a configuration problem: 500 listing the problems, recorded:false, recordFailure not called", async () => {
    // The database is reachable (SUPABASE_URL and the key are set), so a sync request would record a run.
    const env = { ...BASE_ENV, PLOOMES_API_KEY: undefined, SYNC_OVERLAP_SECONDS: "-1" };
    const { handle, recordCalls, runCalls } = harness({ env });
    for (const request of [post('{"check":true}'), get("?check=true")]) {
      const { response, text, body } = await handle(request);
      expect(response.status).toBe(500);
      expect(body["recorded"]).toBe(false);
      expect(body).not.toHaveProperty("runId");
      expect(body).not.toHaveProperty("recordError");
      expect(body["error"]).toMatch(/^configuration error: 2 configuration problems: PLOOMES_API_KEY is not set/);
      const variables = Array.isArray(body["problems"])
        ? body["problems"].map((problem: unknown) => (isRecord(problem) ? problem["variable"] : null))
        : [];
      expect(variables).toEqual(["PLOOMES_API_KEY", "SYNC_OVERLAP_SECONDS"]);
      expect(String(body["hint"])).toContain("supabase secrets set");
      for (const secret of [CRON_SECRET, SERVICE_KEY]) expect(text).not.toContain(secret);
    }
    expect(recordCalls).toHaveLength(0);
    expect(runCalls).toHaveLength(0);
  });

  it("without database access either: 500, recorded:false", async () => {
    const env = { ...BASE_ENV, PLOOMES_API_KEY: undefined, SUPABASE_URL: undefined };
    const { handle, recordCalls } = harness({ env });
    const { response, body } = await handle(post('{"check":true}'));
    expect(response.status).toBe(500);
    expect(body["recorded"]).toBe(false);
    expect(recordCalls).toHaveLength(0);
  });

  it.each([
    ["no credentials", {}],
    ["a wrong x-cron-secret", { "x-cron-secret": "wrong-secret-0123456789abcdef0123456789" }],
  ])("refuses a check with %s: 401", async (_label, headers: Record<string, string>) => {
    const { handle, runCalls, recordCalls } = harness();
    for (const request of [post('{"check":true}', headers), get("?check=true", headers)]) {
      const { response, text } = await handle(request);
      expect(response.status).toBe(401);
      expect(text).toBe('{"error":"unauthorized"}');
    }
    expect(runCalls).toHaveLength(0);
    expect(recordCalls).toHaveLength(0);
  });

  it("still fails closed on an unset CRON_SECRET (500, before auth)", async () => {
    const { handle, recordCalls } = harness({ env: withoutCronSecret(BASE_ENV) });
    const { response, body } = await handle(post('{"check":true}', {}));
    expect(response.status).toBe(500);
    expect(body["error"]).toMatch(/^configuration error: 1 configuration problem: CRON_SECRET is not set/);
    expect(recordCalls).toHaveLength(0);
  });

  it.each([['{"check":"yes"}'], ['{"check":1}']])("answers 400 naming check for %s", async (requestBody) => {
    const { handle, runCalls, recordCalls } = harness();
    const { response, body } = await handle(post(requestBody));
    expect(response.status).toBe(400);
    expect(body["error"]).toBe("invalid request");
    const problems = Array.isArray(body["problems"]) ? body["problems"] : [];
    expect(problems).toHaveLength(1);
    expect(String(problems[0])).toMatch(/^check: /);
    expect(runCalls).toHaveLength(0);
    expect(recordCalls).toHaveLength(0);
  });

  it("answers 400 naming check for GET ?check=yes", async () => {
    const { handle } = harness();
    const { response, body } = await handle(get("?check=yes"));
    expect(response.status).toBe(400);
    expect(String(body["problems"])).toMatch(/^check: /);
  });
});

describe("handleSyncRequest: the sync's outcome", () => {
  it.each([
    [200, { runId: 1, status: "partial" }],
    [409, { runId: 2, status: "skipped", holderRunId: 1 }],
    [502, { runId: 3, status: "failed", ploomesStatus: 401 }],
    [500, { runId: 4, status: "failed", error: "database call x failed" }],
  ])("passes status %i and the body through", async (status, outcomeBody) => {
    const { handle } = harness({ outcome: { status, body: outcomeBody } });
    const { response, body } = await handle(post());
    expect(response.status).toBe(status);
    expect(body).toEqual(outcomeBody);
  });

  it("answers 500 with a hint and logs when runSync throws (the run could not be recorded)", async () => {
    const { handle, events } = harness({ outcome: new Error("connect ECONNREFUSED 127.0.0.1:54321") });
    const { response, body } = await handle(post());
    expect(response.status).toBe(500);
    expect(body["error"]).toBe("connect ECONNREFUSED 127.0.0.1:54321");
    expect(String(body["hint"])).toContain("SUPABASE_URL");
    expect(events).toEqual([{ event: "request-failed", error: "connect ECONNREFUSED 127.0.0.1:54321" }]);
  });
});

describe("handleSyncRequest: content type", () => {
  it("answers JSON for every status", async () => {
    const env = { ...BASE_ENV, PLOOMES_API_KEY: undefined };
    const cases: [number, Promise<Response>][] = [
      [405, handleSyncRequest(new Request(URL_BASE, { method: "PUT" }), harness().deps)],
      [500, handleSyncRequest(post(), harness({ env: withoutCronSecret(BASE_ENV) }).deps)],
      [401, handleSyncRequest(post(null, {}), harness().deps)],
      [400, handleSyncRequest(post("{x"), harness().deps)],
      [413, handleSyncRequest(post("{}", { ...auth, "content-length": "20000" }), harness().deps)],
      [500, handleSyncRequest(post(), harness({ env }).deps)],
      [200, handleSyncRequest(post(), harness().deps)],
      [409, handleSyncRequest(post(), harness({ outcome: { status: 409, body: {} } }).deps)],
      [500, handleSyncRequest(post(), harness({ outcome: new Error("down") }).deps)],
    ];
    for (const [status, pending] of cases) {
      const response = await pending;
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toBe("application/json");
    }
  });
});
