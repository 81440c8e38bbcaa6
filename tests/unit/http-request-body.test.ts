import { describe, expect, it } from "vitest";
import { readSyncRequest, syncRequestFromQuery } from "../../supabase/functions/_shared/http/request-body.ts";
import type { BodyResult } from "../../supabase/functions/_shared/http/request-body.ts";

const URL_BASE = "http://localhost:54321/functions/v1/sync-customer-sales";
const LIMIT = 16 * 1024; // 16 KiB

function post(body: string | null, headers: Record<string, string> = {}): Request {
  return new Request(URL_BASE, { method: "POST", body, headers });
}

function problemsOf(result: BodyResult): string[] {
  if (result.ok) throw new Error("expected a refused body");
  return result.problems;
}

describe("readSyncRequest: valid bodies", () => {
  it.each([
    ["no body", null],
    ["an empty body", ""],
    ["whitespace", "  \n\t "],
    ["{}", "{}"],
  ])("%s means all defaults", async (_label, body) => {
    expect(await readSyncRequest(post(body))).toEqual({
      ok: true,
      request: { mode: "auto", dryRun: false, trigger: "manual" },
      check: false,
    });
  });

  it("reads every field", async () => {
    const result = await readSyncRequest(post(JSON.stringify({ mode: "full", dryRun: true, trigger: "continue" })));
    expect(result).toEqual({ ok: true, request: { mode: "full", dryRun: true, trigger: "continue" }, check: false });
  });

  it("fills the fields left out", async () => {
    const result = await readSyncRequest(post('{"trigger":"cron"}'));
    expect(result).toEqual({ ok: true, request: { mode: "auto", dryRun: false, trigger: "cron" }, check: false });
  });
});

describe("readSyncRequest: check", () => {
  it("reads check: true apart from the sync request, which keeps its defaults", async () => {
    const result = await readSyncRequest(post('{"check":true}'));
    expect(result).toEqual({
      ok: true,
      request: { mode: "auto", dryRun: false, trigger: "manual" },
      check: true,
    });
  });

  it("accepts check next to mode and dryRun (the handler lets the check win)", async () => {
    const result = await readSyncRequest(post('{"check":true,"mode":"full","dryRun":true,"trigger":"cli"}'));
    expect(result).toEqual({ ok: true, request: { mode: "full", dryRun: true, trigger: "cli" }, check: true });
  });

  it("reads check: false", async () => {
    const result = await readSyncRequest(post('{"check":false}'));
    expect(result).toEqual({ ok: true, request: { mode: "auto", dryRun: false, trigger: "manual" }, check: false });
  });

  it.each([['"yes"'], ['"true"'], ["1"], ["null"]])("refuses check: %s, naming check", async (value) => {
    const result = await readSyncRequest(post(`{"check":${value}}`));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.status).toBe(400);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^check: /);
  });

  it("still validates the other fields of a check", async () => {
    const problems = problemsOf(await readSyncRequest(post('{"check":true,"mode":"sometimes"}')));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^mode: /);
  });
});

describe("readSyncRequest: 400", () => {
  it("reports each invalid field, by name", async () => {
    const result = await readSyncRequest(post(JSON.stringify({ mode: "sometimes", dryRun: "yes", trigger: 5 })));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.status).toBe(400);
    expect(result.problems).toHaveLength(3);
    expect(result.problems[0]).toMatch(/^mode: /);
    expect(result.problems[1]).toMatch(/^dryRun: /);
    expect(result.problems[2]).toMatch(/^trigger: /);
  });

  it("reports an unknown key, naming it", async () => {
    const problems = problemsOf(await readSyncRequest(post('{"mode":"full","force":true}')));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^body: /);
    expect(problems[0]).toContain("force");
  });

  it("reports a misspelled key as unknown rather than defaulting it", async () => {
    const problems = problemsOf(await readSyncRequest(post('{"dry_run":true}')));
    expect(problems.join(" ")).toContain("dry_run");
  });

  it("refuses invalid JSON", async () => {
    const result = await readSyncRequest(post("{mode: full}"));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.status).toBe(400);
    expect(result.problems).toHaveLength(1);
    expect(result.problems).toEqual(["body is not valid JSON"]); // the parser text may quote the body
  });

  it.each([["null"], ["[]"], ['"full"'], ["42"]])("refuses a JSON body that is not an object: %s", async (body) => {
    const result = await readSyncRequest(post(body));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.status).toBe(400);
    expect(result.problems[0]).toMatch(/^body: /);
  });
});

describe("readSyncRequest: 413", () => {
  it("refuses a declared content-length over 16 KiB without reading the body", async () => {
    const request = post("{}", { "content-length": "99999" });
    const result = await readSyncRequest(request);
    expect(result).toEqual({ ok: false, status: 413, problems: ["body is 99999 bytes; the limit is 16384"] });
    expect(request.bodyUsed).toBe(false);
  });

  it("refuses an actual body over 16 KiB when no content-length is declared", async () => {
    const request = post(`{"mode":"full"}${" ".repeat(LIMIT)}`); // 15 + 16 384 bytes
    expect(request.headers.get("content-length")).toBeNull();
    const result = await readSyncRequest(request);
    expect(result).toEqual({ ok: false, status: 413, problems: ["body is 16399 bytes; the limit is 16384"] });
  });

  it("accepts exactly 16 KiB and refuses one byte more", async () => {
    const json = '{"mode":"full"}'; // 15 bytes
    const atLimit = await readSyncRequest(post(json + " ".repeat(LIMIT - 15)));
    expect(atLimit).toEqual({ ok: true, request: { mode: "full", dryRun: false, trigger: "manual" }, check: false });
    const overLimit = await readSyncRequest(post(json + " ".repeat(LIMIT - 14)));
    expect(overLimit).toEqual({ ok: false, status: 413, problems: ["body is 16385 bytes; the limit is 16384"] });
  });

  it("counts bytes, not characters", async () => {
    // {"x":" (6 bytes) + 8190 × "é" (2 bytes each = 16 380) + "} (2 bytes) = 16 388 bytes, 8198 characters.
    const body = `{"x":"${"é".repeat(8190)}"}`;
    expect(body.length).toBe(8198);
    const result = await readSyncRequest(post(body));
    expect(result).toEqual({ ok: false, status: 413, problems: ["body is 16388 bytes; the limit is 16384"] });
  });

  it("refuses a body larger than its (lying) declared content-length", async () => {
    const request = post(`{}${" ".repeat(LIMIT)}`, { "content-length": "2" });
    const result = await readSyncRequest(request);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.status).toBe(413);
  });
});

describe("syncRequestFromQuery (GET)", () => {
  const query = (search: string): BodyResult => syncRequestFromQuery(new URL(`${URL_BASE}${search}`));

  it("no query means all defaults", () => {
    expect(query("")).toEqual({ ok: true, request: { mode: "auto", dryRun: false, trigger: "manual" }, check: false });
  });

  it("reads mode, dryRun=true and trigger", () => {
    expect(query("?mode=full&dryRun=true&trigger=cron")).toEqual({
      ok: true,
      request: { mode: "full", dryRun: true, trigger: "cron" },
      check: false,
    });
  });

  it("reads dryRun=false", () => {
    expect(query("?dryRun=false&mode=incremental")).toEqual({
      ok: true,
      request: { mode: "incremental", dryRun: false, trigger: "manual" },
      check: false,
    });
  });

  it.each([["?dryRun=yes"], ["?dryRun=1"], ["?dryRun=TRUE"], ["?dryRun="]])("refuses a bad dryRun: %s", (search) => {
    const result = query(search);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.status).toBe(400);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^dryRun: /);
  });

  it("reads check=true and check=false", () => {
    expect(query("?check=true")).toEqual({
      ok: true,
      request: { mode: "auto", dryRun: false, trigger: "manual" },
      check: true,
    });
    expect(query("?check=false&trigger=cli")).toEqual({
      ok: true,
      request: { mode: "auto", dryRun: false, trigger: "cli" },
      check: false,
    });
  });

  it.each([["?check=yes"], ["?check=1"], ["?check=TRUE"], ["?check="]])("refuses a bad check: %s", (search) => {
    const problems = problemsOf(query(search));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^check: /);
  });

  it("refuses a bad mode", () => {
    const problems = problemsOf(query("?mode=sometimes"));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^mode: /);
  });

  it("refuses an unknown parameter, naming it", () => {
    const problems = problemsOf(query("?mode=full&force=1"));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^query: /);
    expect(problems[0]).toContain("force");
  });
});
