// The Vault stand-in: create_secret / update_secret / decrypted_secrets as on Supabase, and the
// same privileges (no API role but service_role can read secrets).
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDb } from "../support/stack.ts";

const NAME = "vitest_vault_secret";
let db: pg.Client;

beforeAll(async () => {
  db = await connectDb();
  await db.query("delete from vault.secrets where name = $1", [NAME]);
});
afterAll(async () => {
  await db.query("delete from vault.secrets where name = $1", [NAME]);
  await db.end();
});

describe("vault stand-in", () => {
  it("creates, reads and updates a secret by name", async () => {
    const created = await db.query<{ id: string }>("select vault.create_secret('first', $1, 'a test secret') as id", [
      NAME,
    ]);
    const id = created.rows[0]?.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const read = async () =>
      (await db.query("select name, description, decrypted_secret from vault.decrypted_secrets where name = $1", [
        NAME,
      ])).rows;
    expect(await read()).toEqual([{ name: NAME, description: "a test secret", decrypted_secret: "first" }]);
    await db.query("select vault.update_secret($1, 'second')", [id]);
    expect(await read()).toEqual([{ name: NAME, description: "a test secret", decrypted_secret: "second" }]);
  });

  it("refuses a second secret with the same name", async () => {
    await expect(db.query("select vault.create_secret('again', $1)", [NAME])).rejects.toMatchObject({ code: "23505" });
  });

  it("is readable by service_role only", async () => {
    for (const role of ["anon", "authenticated"]) {
      await db.query("begin");
      await db.query(`set local role ${role}`);
      await expect(db.query("select decrypted_secret from vault.decrypted_secrets")).rejects.toMatchObject({
        code: "42501",
      });
      await db.query("rollback");
    }
    await db.query("begin");
    await db.query("set local role service_role");
    const { rows } = await db.query("select decrypted_secret from vault.decrypted_secrets where name = $1", [NAME]);
    await db.query("rollback");
    expect(rows).toHaveLength(1);
  });

  it("holds the schedule's project_url and cron_secret after stack:up", async () => {
    const { rows } = await db.query<{ name: string; value: string }>(
      "select name, decrypted_secret as value from vault.decrypted_secrets where name in ('project_url', 'cron_secret') order by name",
    );
    expect(rows.map((r) => r.name)).toEqual(["cron_secret", "project_url"]);
    expect(rows.find((r) => r.name === "cron_secret")?.value.length).toBeGreaterThanOrEqual(32);
  });
});
