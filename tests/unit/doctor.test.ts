// The doctor's pure parts: the customer_sales contract comparison, the delivery verdicts, the
// field search on a 403, the target read from the environment and the secret scrub.
import { describe, expect, it } from "vitest";
import { compareWithContract, type ContractColumn } from "../../scripts/doctor/customer-sales-contract.ts";
import { type Delivery, explainDelivery } from "../../scripts/doctor/delivery-checks.ts";
import { refusedField } from "../../scripts/doctor/ploomes-checks.ts";
import { scrubSecrets } from "../../scripts/doctor/report.ts";
import { resolveTarget } from "../../scripts/doctor/target.ts";

const CONTRACT: ContractColumn[] = [
  { name: "customer_id", type: "bigint", definition: "bigint primary key" },
  { name: "total_sales", type: "numeric(15,2)", definition: "numeric(15,2) not null default 0" },
  { name: "won_deals", type: "integer", definition: "integer not null default 0" },
];

describe("compareWithContract", () => {
  it("finds nothing when every column is there with its type, and lists extra ones", () => {
    const drift = compareWithContract([
      { name: "customer_id", type: "bigint" },
      { name: "total_sales", type: "numeric(15,2)" },
      { name: "won_deals", type: "integer" },
      { name: "note", type: "text" },
    ], CONTRACT);
    expect(drift).toEqual({ problems: [], fixes: [], extra: ["note"] });
  });

  it("reads a missing column plus an unknown one of its type as a rename", () => {
    const drift = compareWithContract([
      { name: "customer_id", type: "bigint" },
      { name: "sales_total", type: "numeric(15,2)" },
      { name: "won_deals", type: "integer" },
    ], CONTRACT);
    expect(drift.problems).toEqual([
      "column total_sales (numeric(15,2)) is missing; sales_total looks like it, renamed",
    ]);
    expect(drift.fixes).toEqual(["alter table public.customer_sales rename column sales_total to total_sales;"]);
    expect(drift.extra).toEqual([]);
  });

  it("adds a missing column back with its definition, and retypes a wrong type", () => {
    const drift = compareWithContract([
      { name: "customer_id", type: "bigint" },
      { name: "won_deals", type: "text" },
    ], CONTRACT);
    expect(drift.problems).toEqual([
      "column total_sales (numeric(15,2)) is missing",
      "column won_deals is text, the contract says integer",
    ]);
    expect(drift.fixes).toEqual([
      "alter table public.customer_sales add column total_sales numeric(15,2) not null default 0;",
      "alter table public.customer_sales alter column won_deals type integer;",
    ]);
  });
});

describe("explainDelivery", () => {
  const answered = (fields: Partial<Delivery>): Delivery => ({
    request_id: "7",
    trigger: "cron",
    queued_at: new Date("2026-12-01T00:00:00Z"),
    queued: false,
    answered: true,
    status_code: 200,
    timed_out: false,
    error_msg: null,
    content: null,
    ...fields,
  });

  it.each(
    [
      [{ status_code: 200 }, "ok", "200"],
      [{ status_code: 409 }, "ok", "409"],
      [{ status_code: 401 }, "fail", "401: the function refused the cron secret"],
      [{ status_code: 404 }, "fail", "404: no function sync-customer-sales at Vault project_url"],
      [
        { status_code: null, timed_out: true },
        "fail",
        "timed out: the function did not answer within pg_net's timeout",
      ],
      [
        { status_code: null, error_msg: "Couldn't resolve host name" },
        "fail",
        "not delivered: Couldn't resolve host name",
      ],
      [
        { status_code: 502, content: '{"error":"Ploomes GET /Deals → 401"}' },
        "warn",
        '502: the run failed (see data.runs): {"error":"Ploomes GET /Deals → 401"}',
      ],
      [
        { status_code: 546 },
        "warn",
        "546: the Edge Runtime stopped the worker (CPU, memory or wall clock); the next run takes over",
      ],
      [{ status_code: 503, content: "upstream" }, "warn", "503: upstream"],
    ] as const,
  )("%j → %s", (fields, verdict, meaning) => {
    const explained = explainDelivery(answered(fields));
    expect(explained.verdict).toBe(verdict);
    expect(explained.meaning).toBe(meaning);
  });
});

describe("refusedField", () => {
  const fields = ["Id", "ContactId", "ContactName", "StatusId", "Amount", "FinishDate", "LastUpdateDate", "CreateDate"];

  it.each(fields)("finds %s among eight fields in at most four requests", async (refused) => {
    let requests = 0;
    const found = await refusedField(fields, (subset) => {
      requests += 1;
      return Promise.resolve(!subset.includes(refused));
    });
    expect(found).toBe(refused);
    expect(requests).toBeLessThanOrEqual(4);
  });

  it("answers null when every field is accepted on its own", async () => {
    expect(await refusedField(fields, () => Promise.resolve(true))).toBeNull();
  });
});

describe("resolveTarget", () => {
  it("a hosted project from SUPABASE_DB_URL: the password is hidden and listed as a secret", () => {
    const target = resolveTarget({
      SUPABASE_DB_URL: "postgresql://postgres.abc:s3cret-password-123@db.example.com:5432/postgres",
      SUPABASE_URL: "https://abc.supabase.co",
      CRON_SECRET: "c".repeat(40),
      PLOOMES_API_KEY: "k".repeat(30),
    });
    expect(target.kind).toBe("hosted");
    expect(target.dbLabel).toBe("postgresql://postgres.abc:***@db.example.com:5432/postgres");
    expect(target.supabaseUrl).toBe("https://abc.supabase.co");
    expect(target.ploomesBaseUrl).toBeNull();
    expect(target.secrets).toEqual(["c".repeat(40), "k".repeat(30), "s3cret-password-123"]);
  });

  it("blank values count as not set", () => {
    const target = resolveTarget({ SUPABASE_DB_URL: "postgresql://u:p@h/db", SUPABASE_URL: "  ", CRON_SECRET: "" });
    expect(target.supabaseUrl).toBeNull();
    expect(target.cronSecret).toBeNull();
  });
});

describe("scrubSecrets", () => {
  it("replaces every secret long enough to be one, wherever it occurs", () => {
    const secret = "0123456789abcdef";
    expect(scrubSecrets(`a ${secret} b ${secret}`, [secret])).toBe("a [secret] b [secret]");
  });

  it("leaves short values alone: the local password 'postgres' is a word, not a secret", () => {
    expect(scrubSecrets("connected as postgres", ["postgres"])).toBe("connected as postgres");
  });
});
