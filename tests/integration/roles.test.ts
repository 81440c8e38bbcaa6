// Hosted-like roles on the local stack: `postgres` — what `supabase db push`, pgTAP, these tests
// and the gateway use — is not a superuser; `supabase_admin` is, and owns the extensions. So a
// migration that needs a superuser fails here with 42501 as it would on hosted Supabase, the
// migrations' `create extension if not exists …` lines are no-ops, and pg_cron jobs change only
// through cron.schedule / cron.alter_job / cron.unschedule.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDb } from "../support/stack.ts";

const INSUFFICIENT_PRIVILEGE = "42501";
/** An extension this machine has, that Supabase does not pre-create and only a superuser may create. */
const UNTRUSTED_EXTENSION = "file_fdw";
const PRE_CREATED = ["pg_cron", "pg_net", "pgtap", "plpgsql_check"];
const JOB = "sync-customer-sales";

let db: pg.Client;

beforeAll(async () => {
  db = await connectDb();
});
afterAll(async () => {
  await db.end();
});

/** Runs `sql` in a transaction that is always rolled back; resolves to the error it raised, if any. */
async function attempt(sql: string): Promise<{ code?: string; message: string } | null> {
  await db.query("begin");
  try {
    await db.query(sql);
    return null;
  } catch (error) {
    return error as { code?: string; message: string };
  } finally {
    await db.query("rollback");
  }
}

describe("roles: postgres is not a superuser", () => {
  it("supabase_admin is the only superuser; the tests connect as postgres", async () => {
    const { rows } = await db.query<{ rolname: string }>(
      "select rolname from pg_roles where rolsuper order by rolname",
    );
    expect(rows.map((r) => r.rolname)).toEqual(["supabase_admin"]);
    const { rows: me } = await db.query<{ user: string; super: boolean }>(
      "select current_user as user, (select rolsuper from pg_roles where rolname = 'postgres') as super",
    );
    expect(me[0]).toEqual({ user: "postgres", super: false });
  });

  it("the extensions the migrations ask for exist already, owned by supabase_admin, so their create lines are no-ops", async () => {
    const { rows } = await db.query<{ extname: string; owner: string }>(
      "select extname, extowner::regrole::text as owner from pg_extension where extname = any($1) order by extname",
      [PRE_CREATED],
    );
    expect(rows).toEqual(PRE_CREATED.map((extname) => ({ extname, owner: "supabase_admin" })));
    expect(await attempt("create extension if not exists pg_cron with schema pg_catalog")).toBeNull();
    expect(await attempt("create extension if not exists pg_net with schema extensions")).toBeNull();
  });

  it("a migration that creates an extension only a superuser may create fails with 42501", async () => {
    const { rows } = await db.query(
      "select 1 from pg_available_extensions where name = $1 and installed_version is null",
      [UNTRUSTED_EXTENSION],
    );
    expect(rows, `${UNTRUSTED_EXTENSION} must be available and not installed for this test`).toHaveLength(1);
    const error = await attempt(`create extension ${UNTRUSTED_EXTENSION} with schema extensions`);
    expect(error).toMatchObject({ code: INSUFFICIENT_PRIVILEGE });
  });

  it("a migration that runs alter system fails with 42501", async () => {
    // alter system cannot run in a transaction block: no attempt() here; it fails before changing anything.
    await expect(db.query("alter system set work_mem = '8MB'")).rejects.toMatchObject({ code: INSUFFICIENT_PRIVILEGE });
  });

  it("postgres may read cron.job but not write it; cron.alter_job changes its own jobs", async () => {
    expect(await attempt(`delete from cron.job where jobname = '${JOB}'`)).toMatchObject({
      code: INSUFFICIENT_PRIVILEGE,
    });
    const { rows: owners } = await db.query<{ username: string }>(
      "select distinct username from cron.job where jobname like 'sync-customer-sales%'",
    );
    expect(owners.map((r) => r.username)).toEqual(["postgres"]); // pg_cron runs each job as its owner

    const active = async () =>
      (await db.query<{ active: boolean }>("select active from cron.job where jobname = $1", [JOB])).rows[0]?.active;
    const before = await active();
    await db.query("begin");
    try {
      await db.query("select cron.alter_job(jobid, active := not active) from cron.job where jobname = $1", [JOB]);
      expect(await active()).toBe(!before);
    } finally {
      await db.query("rollback");
    }
    expect(await active()).toBe(before);
  });

  it("postgres cannot write vault.secrets directly; it goes through vault.create_secret / update_secret", async () => {
    expect(await attempt("update vault.secrets set description = description")).toMatchObject({
      code: INSUFFICIENT_PRIVILEGE,
    });
    expect(await attempt("insert into vault.secrets (name, secret) values ('roles_test', 'x')")).toMatchObject({
      code: INSUFFICIENT_PRIVILEGE,
    });
    expect(await attempt("select vault.create_secret('x', 'roles_test')")).toBeNull();
  });
});
