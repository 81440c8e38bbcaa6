import { describe, expect, it } from "vitest";
import { describeConfig, formatProblems, parseConfig } from "../../supabase/functions/_shared/config/config.ts";
import type { Config, ConfigProblem, CronSecretCheck, Env } from "../../supabase/functions/_shared/config/config.ts";

const API_KEY = "PLOOMESKEY0123456789ABCDEF0123456789ABCDEF";
const CRON = "c".repeat(40);
// Built at run time so no key-shaped literal sits in git (the repository scans for those).
const SERVICE_KEY = ["sb", "secret", "0123456789abcdef"].join("_");

const VALID: Env = {
  PLOOMES_API_KEY: API_KEY,
  CRON_SECRET: CRON,
  SUPABASE_URL: "https://abcd.supabase.co",
  SUPABASE_SECRET_KEYS: JSON.stringify({ default: SERVICE_KEY }),
};

/** The CRON_SECRET check the HTTP entry makes before authenticating, from the same single parse. */
function checkCronSecret(env: Env): CronSecretCheck {
  return parseConfig(env).cronSecret;
}

function config(env: Env): Config {
  const result = parseConfig(env);
  if (!result.ok) throw new Error(formatProblems(result.problems));
  return result.config;
}

function problems(env: Env): ConfigProblem[] {
  const result = parseConfig(env);
  if (result.ok) throw new Error("expected configuration problems");
  return result.problems;
}

function problemFor(env: Env, variable: string): string {
  const found = problems(env).filter((problem) => problem.variable === variable);
  expect(found, `problems for ${variable}`).toHaveLength(1);
  return found[0]?.message ?? "";
}

describe("parseConfig: defaults and values", () => {
  it("applies every default", () => {
    expect(config(VALID)).toEqual({
      ploomes: {
        apiKey: API_KEY,
        baseUrl: "https://public-api2.ploomes.com",
        requestsPerMinute: 90,
        requestTimeoutMs: 30000,
        pageSize: 300,
        lineItemsSource: "auto",
      },
      cronSecret: CRON,
      supabase: {
        url: "https://abcd.supabase.co",
        secretKey: SERVICE_KEY,
        secretKeySource: "SUPABASE_SECRET_KEYS.default",
      },
      sync: {
        timeBudgetMs: 120000,
        cpuBudgetMs: 800,
        fullEveryHours: 168,
        maxRejectRatio: 0.01,
        maxDeleteRatio: 0.1,
        overlapSeconds: 300,
      },
    });
  });

  it("reads every variable, trims values and strips trailing slashes from URLs", () => {
    const parsed = config({
      ...VALID,
      PLOOMES_API_KEY: `  ${API_KEY}\n`,
      PLOOMES_BASE_URL: "http://127.0.0.1:54340/",
      SUPABASE_URL: "http://127.0.0.1:54321//",
      SYNC_TIME_BUDGET_MS: "60000",
      SYNC_CPU_BUDGET_MS: "400",
      PLOOMES_REQUESTS_PER_MINUTE: "30",
      PLOOMES_REQUEST_TIMEOUT_MS: "5000",
      SYNC_FULL_EVERY_HOURS: "0.5",
      SYNC_MAX_REJECT_RATIO: "0",
      SYNC_MAX_DELETE_RATIO: " 0.5 ",
      SYNC_OVERLAP_SECONDS: "0",
      PLOOMES_PAGE_SIZE: "50",
      PLOOMES_LINE_ITEMS_SOURCE: " Orders ",
    });
    expect(parsed.ploomes).toEqual({
      apiKey: API_KEY,
      baseUrl: "http://127.0.0.1:54340",
      requestsPerMinute: 30,
      requestTimeoutMs: 5000,
      pageSize: 50,
      lineItemsSource: "orders",
    });
    expect(parsed.supabase.url).toBe("http://127.0.0.1:54321");
    expect(parsed.sync).toEqual({
      timeBudgetMs: 60000,
      cpuBudgetMs: 400,
      fullEveryHours: 0.5,
      maxRejectRatio: 0,
      maxDeleteRatio: 0.5,
      overlapSeconds: 0,
    });
  });

  it("PLOOMES_LINE_ITEMS_SOURCE: one of auto, deals, orders, quotes, none; anything else is named with the choices", () => {
    for (const value of ["auto", "deals", "orders", "quotes", "none"]) {
      expect(config({ ...VALID, PLOOMES_LINE_ITEMS_SOURCE: value }).ploomes.lineItemsSource).toBe(value);
    }
    expect(problemFor({ ...VALID, PLOOMES_LINE_ITEMS_SOURCE: "order" }, "PLOOMES_LINE_ITEMS_SOURCE")).toBe(
      'PLOOMES_LINE_ITEMS_SOURCE must be one of auto, deals, orders, quotes, none (default auto); got "order"',
    );
    expect(problemFor({ ...VALID, PLOOMES_LINE_ITEMS: "orders" }, "PLOOMES_LINE_ITEMS_SOURCE")).toMatch(
      /PLOOMES_LINE_ITEMS/,
    );
  });

  it("treats an empty or blank value as unset", () => {
    expect(config({ ...VALID, SYNC_TIME_BUDGET_MS: "", PLOOMES_PAGE_SIZE: "   " }).sync.timeBudgetMs).toBe(120000);
    expect(problemFor({ ...VALID, PLOOMES_API_KEY: "" }, "PLOOMES_API_KEY")).toMatch(/^PLOOMES_API_KEY is not set/);
  });
});

describe("parseConfig: ranges", () => {
  const cases: [string, string[], string[], RegExp?][] = [
    ["SYNC_TIME_BUDGET_MS", ["1000", "145000"], ["999", "145001", "150000"], /150 s wall clock/],
    ["SYNC_CPU_BUDGET_MS", ["10", "800", "1800"], ["9", "1801", "2000"], /kills it \(546\) at 2 s/],
    ["PLOOMES_REQUESTS_PER_MINUTE", ["1", "120"], ["0", "121"], /shared/],
    ["PLOOMES_REQUEST_TIMEOUT_MS", ["1000", "120000"], ["999", "120001"]],
    ["SYNC_FULL_EVERY_HOURS", ["0.01", "10000"], ["0", "-1"]],
    ["SYNC_MAX_REJECT_RATIO", ["0", "1", "0.5"], ["-0.01", "1.01"]],
    ["SYNC_MAX_DELETE_RATIO", ["0", "1", "0.1"], ["-0.01", "1.01"]],
    ["SYNC_OVERLAP_SECONDS", ["0", "86400"], ["-1", "86401"]],
    ["PLOOMES_PAGE_SIZE", ["1", "300"], ["0", "301"], /300 records per page/],
  ];
  for (const [variable, accepted, rejected, why] of cases) {
    it(`${variable}: accepts ${accepted.join(", ")}; rejects ${rejected.join(", ")}`, () => {
      for (const value of accepted) expect(parseConfig({ ...VALID, [variable]: value }).ok, value).toBe(true);
      for (const value of rejected) {
        const message = problemFor({ ...VALID, [variable]: value }, variable);
        expect(message).toContain(variable);
        expect(message).toContain(`got ${value}`);
        if (why) expect(message).toMatch(why);
      }
    });
  }

  it("integers reject fractions; non-numbers are quoted back", () => {
    expect(problemFor({ ...VALID, SYNC_TIME_BUDGET_MS: "120000.5" }, "SYNC_TIME_BUDGET_MS")).toBe(
      'SYNC_TIME_BUDGET_MS must be a whole number of milliseconds, got "120000.5"',
    );
    expect(problemFor({ ...VALID, PLOOMES_REQUESTS_PER_MINUTE: "ninety" }, "PLOOMES_REQUESTS_PER_MINUTE")).toBe(
      'PLOOMES_REQUESTS_PER_MINUTE must be a whole number of requests per minute, got "ninety"',
    );
    expect(problemFor({ ...VALID, SYNC_MAX_REJECT_RATIO: "1%" }, "SYNC_MAX_REJECT_RATIO")).toContain('got "1%"');
    expect(problemFor({ ...VALID, SYNC_FULL_EVERY_HOURS: "Infinity" }, "SYNC_FULL_EVERY_HOURS")).toContain(
      'got "Infinity"',
    );
  });

  it("URLs must be absolute http(s) without query", () => {
    expect(problemFor({ ...VALID, PLOOMES_BASE_URL: "public-api2.ploomes.com" }, "PLOOMES_BASE_URL")).toContain(
      "absolute http(s) URL",
    );
    expect(problemFor({ ...VALID, PLOOMES_BASE_URL: "ftp://x" }, "PLOOMES_BASE_URL")).toContain("absolute http(s) URL");
    expect(problemFor({ ...VALID, PLOOMES_BASE_URL: "https://x/?a=1" }, "PLOOMES_BASE_URL")).toContain("query string");
    expect(problemFor({ ...VALID, SUPABASE_URL: undefined }, "SUPABASE_URL")).toMatch(/^SUPABASE_URL is not set/);
  });
});

describe("parseConfig: secrets", () => {
  it("CRON_SECRET needs 32 characters and says how to make one, without the value", () => {
    const message = problemFor({ ...VALID, CRON_SECRET: "hunter2-but-longer" }, "CRON_SECRET");
    expect(message).toBe(
      "CRON_SECRET must be at least 32 characters (it has 18); generate one with: openssl rand -hex 24",
    );
    expect(parseConfig({ ...VALID, CRON_SECRET: "x".repeat(32) }).ok).toBe(true);
  });

  it("SUPABASE_SECRET_KEYS: default entry, else the first; {} falls back to the legacy key", () => {
    expect(config({ ...VALID, SUPABASE_SECRET_KEYS: '{"ci":"sb_secret_ci","default":"sb_secret_d"}' }).supabase)
      .toMatchObject({
        secretKey: "sb_secret_d",
        secretKeySource: "SUPABASE_SECRET_KEYS.default",
      });
    expect(config({ ...VALID, SUPABASE_SECRET_KEYS: '{"ci":"sb_secret_ci","other":"sb_secret_o"}' }).supabase)
      .toMatchObject({
        secretKey: "sb_secret_ci",
        secretKeySource: "SUPABASE_SECRET_KEYS.ci",
      });
    expect(config({ ...VALID, SUPABASE_SECRET_KEYS: "{}", SUPABASE_SERVICE_ROLE_KEY: "legacy-jwt" }).supabase)
      .toMatchObject({
        secretKey: "legacy-jwt",
        secretKeySource: "SUPABASE_SERVICE_ROLE_KEY",
      });
    expect(
      config({ ...VALID, SUPABASE_SECRET_KEYS: undefined, SUPABASE_SERVICE_ROLE_KEY: "legacy-jwt" }).supabase.secretKey,
    ).toBe("legacy-jwt");
  });

  it("SUPABASE_SECRET_KEYS that is not JSON is a problem naming the variable, never quoting it", () => {
    const message = problemFor({ ...VALID, SUPABASE_SECRET_KEYS: SERVICE_KEY }, "SUPABASE_SECRET_KEYS");
    expect(message).toContain("SUPABASE_SECRET_KEYS is not a JSON object");
    expect(message).not.toContain(SERVICE_KEY);
    expect(problemFor({ ...VALID, SUPABASE_SECRET_KEYS: '["a"]' }, "SUPABASE_SECRET_KEYS")).toContain("JSON object");
  });

  it("no service key at all is one problem", () => {
    const message = problemFor({ ...VALID, SUPABASE_SECRET_KEYS: undefined }, "SUPABASE_SECRET_KEYS");
    expect(message).toContain("neither SUPABASE_SECRET_KEYS nor SUPABASE_SERVICE_ROLE_KEY is set");
  });

  it("no secret value appears in any message", () => {
    const secrets = {
      PLOOMES_API_KEY: "SECRET-PLOOMES-VALUE",
      CRON_SECRET: "SECRET-CRON-VALUE",
      SUPABASE_SECRET_KEYS: "SECRET-KEYS-VALUE{",
    };
    const all = problems({
      ...secrets,
      SUPABASE_URL: "nope",
      PLOOME_USER_KEY: "SECRET-NEARMISS-VALUE",
      SYNC_TIME_BUDGET_MSS: "SECRET-STRAY",
    });
    const text = formatProblems(all);
    for (const value of [...Object.values(secrets), "SECRET-NEARMISS-VALUE", "SECRET-STRAY"]) {
      expect(text).not.toContain(value);
    }
  });

  it("describeConfig hides secrets", () => {
    const described = JSON.stringify(describeConfig(config(VALID)));
    for (const value of [API_KEY, CRON, SERVICE_KEY]) expect(described).not.toContain(value);
    expect(described).toContain("[set, 40 characters]");
  });
});

describe("parseConfig: all problems at once and near misses", () => {
  it("lists every problem in one result", () => {
    const all = problems({ SYNC_TIME_BUDGET_MS: "abc", PLOOMES_PAGE_SIZE: "500", PLOOMES_BASE_URL: "nope" });
    expect(all.map((problem) => problem.variable).sort()).toEqual(
      [
        "CRON_SECRET",
        "PLOOMES_API_KEY",
        "PLOOMES_BASE_URL",
        "PLOOMES_PAGE_SIZE",
        "SUPABASE_SECRET_KEYS",
        "SUPABASE_URL",
        "SYNC_TIME_BUDGET_MS",
      ].sort(),
    );
  });

  it("PLOOME_API_KEY instead of PLOOMES_API_KEY: the message names both and the fix", () => {
    const { PLOOMES_API_KEY: _unset, ...rest } = VALID;
    const message = problemFor({ ...rest, PLOOME_API_KEY: API_KEY }, "PLOOMES_API_KEY");
    expect(message).toBe(
      "PLOOMES_API_KEY is not set, but PLOOME_API_KEY is — rename it: supabase secrets set PLOOMES_API_KEY=... (and unset PLOOME_API_KEY)",
    );
  });

  it.each(["PLOOMES_APIKEY", "PLOOMES_KEY", "PLOOMES_USER_KEY", "ploomes_api_key", "Ploomes_Api_Key"])(
    "%s is recognised as PLOOMES_API_KEY",
    (name) => {
      const { PLOOMES_API_KEY: _unset, ...rest } = VALID;
      expect(problemFor({ ...rest, [name]: API_KEY }, "PLOOMES_API_KEY")).toContain(`but ${name} is`);
    },
  );

  it.each(["SYNC_DELETE_RATIO", "SYNC_MAX_DELETES_RATIO", "SYNC_MAX_DELETE_RATE", "sync_max_delete_ratio"])(
    "%s is recognised as SYNC_MAX_DELETE_RATIO instead of silently using the default",
    (name) => {
      expect(problemFor({ ...VALID, [name]: "0.5" }, "SYNC_MAX_DELETE_RATIO")).toContain(
        `SYNC_MAX_DELETE_RATIO is not set, but ${name} is`,
      );
    },
  );

  it("SYNC_MAX_DELETE_RATIO: a fraction, not a percent", () => {
    expect(problemFor({ ...VALID, SYNC_MAX_DELETE_RATIO: "10%" }, "SYNC_MAX_DELETE_RATIO")).toContain('got "10%"');
    expect(problemFor({ ...VALID, SYNC_MAX_DELETE_RATIO: "10" }, "SYNC_MAX_DELETE_RATIO")).toContain("got 10");
  });

  it("CRON_SECERT and SYNC_TIME_BUDGET are recognised", () => {
    const { CRON_SECRET: _unset, ...rest } = VALID;
    expect(problemFor({ ...rest, CRON_SECERT: CRON }, "CRON_SECRET")).toContain("but CRON_SECERT is");
    expect(problemFor({ ...VALID, SYNC_TIME_BUDGET: "60000" }, "SYNC_TIME_BUDGET_MS")).toContain(
      "but SYNC_TIME_BUDGET is",
    );
  });

  it("a typo of a variable that is also set is reported, not ignored", () => {
    const message = problemFor(
      { ...VALID, SYNC_TIME_BUDGET_MS: "60000", SYNC_TIME_BUDGET_MSS: "5000" },
      "SYNC_TIME_BUDGET_MSS",
    );
    expect(message).toContain("did you mean SYNC_TIME_BUDGET_MS");
  });

  it("a typo of an unset optional variable is reported instead of silently using the default", () => {
    const message = problemFor({ ...VALID, SYNC_TIME_BUDGET_MSS: "5000" }, "SYNC_TIME_BUDGET_MS");
    expect(message).toContain("SYNC_TIME_BUDGET_MS is not set, but SYNC_TIME_BUDGET_MSS is");
  });

  it("unrelated PLOOMES_/SYNC_ variables and Supabase's own variables are ignored", () => {
    expect(
      parseConfig({
        ...VALID,
        PLOOMES_SIMULATOR_SEED: "42",
        SYNC_LOG_FORMAT: "json",
        SUPABASE_DB_URL: "postgres://x",
        SUPABASE_ANON_KEY: "anon",
      }).ok,
    ).toBe(true);
  });

  it("SUPABASE_DB_URL is not mistaken for a missing SUPABASE_URL", () => {
    const message = problemFor({ ...VALID, SUPABASE_URL: undefined, SUPABASE_DB_URL: "postgres://x" }, "SUPABASE_URL");
    expect(message).not.toContain("SUPABASE_DB_URL");
  });

  it("the service-key pair: a near miss counts only when neither is set", () => {
    expect(problemFor({ ...VALID, SUPABASE_SECRET_KEYS: undefined, SUPABASE_SECRET_KEY: "x" }, "SUPABASE_SECRET_KEYS"))
      .toContain(
        "but SUPABASE_SECRET_KEY is",
      );
    expect(parseConfig({ ...VALID, SUPABASE_SERVICE_KEY: "someone else's" }).ok).toBe(true);
  });

  it("formatProblems gives one line", () => {
    const line = formatProblems(problems({}));
    expect(line).not.toContain("\n");
    expect(line).toMatch(/^\d+ configuration problems: /);
  });
});

describe("checkCronSecret", () => {
  it("accepts a strong secret", () => {
    expect(checkCronSecret({ CRON_SECRET: ` ${CRON} ` })).toEqual({ ok: true, secret: CRON });
  });

  it("fails closed on unset, short or misnamed, without the value", () => {
    const unset = checkCronSecret({});
    expect(unset.ok).toBe(false);
    if (!unset.ok) {
      expect(unset.problem.message).toMatch(/^CRON_SECRET is not set; generate one with: openssl rand -hex 24/);
    }

    const short = checkCronSecret({ CRON_SECRET: "tooshort" });
    expect(short).toEqual({
      ok: false,
      problem: {
        variable: "CRON_SECRET",
        message: "CRON_SECRET must be at least 32 characters (it has 8); generate one with: openssl rand -hex 24",
      },
    });

    const misnamed = checkCronSecret({ CRON_SECERT: CRON });
    expect(misnamed.ok).toBe(false);
    if (!misnamed.ok) {
      expect(misnamed.problem.message).toContain("but CRON_SECERT is");
      expect(misnamed.problem.message).not.toContain(CRON);
    }
  });
});
