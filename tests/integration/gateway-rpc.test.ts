// The gateway's PostgREST stand-in: named arguments, the caller's role, JSON results and
// PostgREST-shaped errors with matching statuses. Uses SQL functions created by this test only.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signJwt } from "../../local/stack/keys.ts";
import { connectDb, GATEWAY_URL } from "../support/stack.ts";
import { requireStackKeys } from "../../local/stack/keys.ts";

const keys = requireStackKeys();
let db: pg.Client;

async function rpc(fn: string, args: unknown, apikey: string | null, bearer?: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (apikey !== null) headers.apikey = apikey;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const response = await fetch(`${GATEWAY_URL}/rest/v1/rpc/${fn}`, {
    method: "POST",
    headers,
    body: typeof args === "string" ? args : JSON.stringify(args),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? null : (JSON.parse(text) as unknown) };
}

beforeAll(async () => {
  db = await connectDb();
  await db.query(`
    create or replace function public.test_gw_add(a int, b int default 10) returns int
      language sql set search_path = '' as $$ select a + b $$;
    create or replace function public.test_gw_whoami() returns jsonb
      language sql set search_path = '' as $$ select jsonb_build_object('user', current_user, 'role', auth.role()) $$;
    create or replace function public.test_gw_series(n int) returns table (i int, label text)
      language sql set search_path = '' as $$ select g, 'n' || g from generate_series(1, n) g $$;
    create or replace function public.test_gw_sum(ids bigint[], doc jsonb) returns jsonb
      language sql set search_path = '' as $$ select jsonb_build_object('sum', (select sum(x) from unnest(ids) x), 'doc', doc) $$;
    create or replace function public.test_gw_fail() returns void
      language plpgsql set search_path = '' as $$
      begin raise exception 'lease is held' using detail = 'holder 42', hint = 'try later'; end $$;
    create or replace function public.test_gw_conflict() returns void
      language plpgsql set search_path = '' as $$
      begin raise exception 'busy' using errcode = 'PT409'; end $$;
    create or replace function public.test_gw_nothing() returns void
      language sql set search_path = '' as $$ select $$;
    revoke execute on function public.test_gw_add(int, int) from public, anon, authenticated;
    grant execute on function public.test_gw_add(int, int) to service_role;
  `);
});

afterAll(async () => {
  await db.query(`
    drop function if exists public.test_gw_add(int, int);
    drop function if exists public.test_gw_whoami();
    drop function if exists public.test_gw_series(int);
    drop function if exists public.test_gw_sum(bigint[], jsonb);
    drop function if exists public.test_gw_fail();
    drop function if exists public.test_gw_conflict();
    drop function if exists public.test_gw_nothing();
  `);
  await db.end();
});

describe("POST /rest/v1/rpc/<fn>", () => {
  it("calls the function with named arguments and returns its JSON result", async () => {
    expect(await rpc("test_gw_add", { a: 2, b: 3 }, keys.SERVICE_ROLE_KEY)).toEqual({ status: 200, body: 5 });
    expect(await rpc("test_gw_add", { a: 2 }, keys.SERVICE_ROLE_KEY)).toEqual({ status: 200, body: 12 });
  });

  it("turns JSON arrays into SQL arrays and objects into jsonb", async () => {
    const result = await rpc("test_gw_sum", { ids: [1, 2, 39], doc: { k: [1] } }, keys.SECRET_KEY);
    expect(result).toEqual({ status: 200, body: { sum: 42, doc: { k: [1] } } });
  });

  it("returns set-returning functions as an array of rows", async () => {
    expect(await rpc("test_gw_series", { n: 2 }, keys.ANON_KEY)).toEqual({
      status: 200,
      body: [{ i: 1, label: "n1" }, { i: 2, label: "n2" }],
    });
  });

  it("answers 204 for a void function", async () => {
    expect(await rpc("test_gw_nothing", {}, keys.ANON_KEY)).toEqual({ status: 204, body: null });
  });

  it("runs as the role of the key, with its claims visible to auth.role()", async () => {
    expect((await rpc("test_gw_whoami", {}, keys.ANON_KEY)).body).toEqual({ user: "anon", role: "anon" });
    expect((await rpc("test_gw_whoami", {}, keys.SERVICE_ROLE_KEY)).body).toEqual({
      user: "service_role",
      role: "service_role",
    });
    expect((await rpc("test_gw_whoami", {}, keys.SECRET_KEY)).body).toEqual({
      user: "service_role",
      role: "service_role",
    });
    expect((await rpc("test_gw_whoami", {}, keys.PUBLISHABLE_KEY)).body).toEqual({ user: "anon", role: "anon" });
    // PostgREST takes the role from Authorization when both are present (a signed-in user).
    const userJwt = signJwt({ role: "authenticated", sub: "00000000-0000-0000-0000-000000000001" }, keys.JWT_SECRET);
    expect((await rpc("test_gw_whoami", {}, keys.ANON_KEY, userJwt)).body).toEqual({
      user: "authenticated",
      role: "authenticated",
    });
  });
});

describe("errors, shaped and coded like PostgREST", () => {
  it("401 without an apikey", async () => {
    const result = await rpc("test_gw_whoami", {}, null);
    expect(result.status).toBe(401);
    expect(result.body).toMatchObject({ message: "No API key found in request" });
  });

  it("401 PGRST301 for a JWT with a bad signature", async () => {
    const forged = signJwt({ role: "service_role" }, "not-the-secret");
    const result = await rpc("test_gw_whoami", {}, forged);
    expect(result.status).toBe(401);
    expect(result.body).toMatchObject({ code: "PGRST301" });
  });

  it("401 with SQLSTATE 42501 when anon lacks EXECUTE, 403 for authenticated", async () => {
    const anon = await rpc("test_gw_add", { a: 1 }, keys.ANON_KEY);
    expect(anon.status).toBe(401);
    expect(anon.body).toMatchObject({
      code: "42501",
      message: expect.stringContaining("permission denied for function test_gw_add"),
    });
    const userJwt = signJwt({ role: "authenticated" }, keys.JWT_SECRET);
    expect((await rpc("test_gw_add", { a: 1 }, keys.ANON_KEY, userJwt)).status).toBe(403);
  });

  it("400 P0001 with message, details and hint for RAISE EXCEPTION", async () => {
    expect(await rpc("test_gw_fail", {}, keys.SERVICE_ROLE_KEY)).toEqual({
      status: 400,
      body: { code: "P0001", message: "lease is held", details: "holder 42", hint: "try later" },
    });
  });

  it("uses the status of a PTxxx SQLSTATE", async () => {
    const result = await rpc("test_gw_conflict", {}, keys.SERVICE_ROLE_KEY);
    expect(result.status).toBe(409);
    expect(result.body).toMatchObject({ code: "PT409", message: "busy" });
  });

  it("404 PGRST202 for an unknown function or unknown argument names", async () => {
    const unknown = await rpc("test_gw_missing", {}, keys.SERVICE_ROLE_KEY);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: "PGRST202" });
    const wrongArgs = await rpc("test_gw_add", { x: 1 }, keys.SERVICE_ROLE_KEY);
    expect(wrongArgs.status).toBe(404);
    expect(wrongArgs.body).toMatchObject({ code: "PGRST202", message: expect.stringContaining("test_gw_add(x)") });
  });

  it("400 PGRST102 for a body that is not a JSON object", async () => {
    expect((await rpc("test_gw_add", "{not json", keys.SERVICE_ROLE_KEY)).body).toMatchObject({ code: "PGRST102" });
    expect((await rpc("test_gw_add", "[1,2]", keys.SERVICE_ROLE_KEY)).status).toBe(400);
  });

  it("400 with the SQLSTATE for a value of the wrong type", async () => {
    const result = await rpc("test_gw_add", { a: "many" }, keys.SERVICE_ROLE_KEY);
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ code: "22P02" });
  });
});

describe("everything else", () => {
  it.each([
    ["GET", "/rest/v1/customer_sales"],
    ["POST", "/auth/v1/token"],
    ["GET", "/storage/v1/bucket"],
    ["DELETE", "/rest/v1/rpc/test_gw_add"],
  ])("%s %s → 501 saying what the local gateway serves", async (method, path) => {
    const response = await fetch(`${GATEWAY_URL}${path}`, { method, headers: { apikey: keys.ANON_KEY } });
    expect(response.status).toBe(501);
    const body = (await response.json()) as { message: string; hint: string };
    expect(body.message).toContain(path);
    expect(body.hint).toContain("supabase start");
  });
});
