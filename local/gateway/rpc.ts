// Stand-in for PostgREST's `POST /rest/v1/rpc/<fn>`: named JSON arguments bound to a function in
// schema `public`, run in one transaction as the role of the caller's key, with the JWT claims
// in `request.jwt.claims`, a JSON result, and PostgREST-shaped errors.
import type { Pool } from "pg";
import type { ApiRole } from "./auth.ts";
import { type DatabaseErrorLike, type PostgrestErrorBody, postgrestErrorFrom } from "./postgrest-errors.ts";

/** statement_timeout per role, as Supabase sets it (service_role inherits authenticator's). */
const STATEMENT_TIMEOUT: Record<ApiRole, string> = { anon: "3s", authenticated: "8s", service_role: "8s" };

interface FunctionSignature {
  argNames: string[];
  argTypes: string[];
  requiredCount: number;
  returnsSet: boolean;
  returnsVoid: boolean;
}

export type RpcResult =
  | { status: 200; body: unknown }
  | { status: 204 }
  | { status: number; body: PostgrestErrorBody };

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function findFunctions(pool: Pool, name: string): Promise<FunctionSignature[]> {
  // Only IN/INOUT/VARIADIC arguments are callable by name; OUT ones shape the result.
  const { rows } = await pool.query<
    { names: string[] | null; types: string[]; required: number; retset: boolean; void: boolean }
  >(
    `select coalesce((select array_agg(a.name order by a.ord)
                        from unnest(coalesce(p.proargnames, '{}'), coalesce(p.proargmodes, '{}')) with ordinality as a(name, mode, ord)
                       where coalesce(a.mode, 'i') in ('i', 'b', 'v')), '{}') as names,
            array(select format_type(t, null) from unnest(p.proargtypes) as t) as types,
            p.pronargs - p.pronargdefaults as required,
            p.proretset as retset,
            p.prorettype = 'void'::regtype as void
       from pg_catalog.pg_proc p
       join pg_catalog.pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and p.proname = $1 and p.prokind = 'f'`,
    [name],
  );
  return rows.map((r) => ({
    argNames: r.names ?? [],
    argTypes: r.types,
    requiredCount: r.required,
    returnsSet: r.retset,
    returnsVoid: r.void,
  }));
}

function pickOverload(candidates: FunctionSignature[], given: string[]): FunctionSignature | undefined {
  return candidates.find((fn) => {
    const required = fn.argNames.slice(0, fn.requiredCount);
    return given.every((g) => fn.argNames.includes(g)) && required.every((r) => given.includes(r));
  });
}

function notFound(name: string, given: string[]): RpcResult {
  const params = given.length === 0 ? "without parameters" : `with parameters ${given.join(", ")}`;
  return {
    status: 404,
    body: {
      code: "PGRST202",
      message: `Could not find the function public.${name}(${given.join(", ")}) in the schema cache`,
      details:
        `Searched for the function public.${name} ${params} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
      hint: null,
    },
  };
}

export async function callRpc(
  pool: Pool,
  name: string,
  args: Record<string, unknown>,
  role: ApiRole,
  claims: Record<string, unknown>,
): Promise<RpcResult> {
  const given = Object.keys(args);
  const fn = pickOverload(await findFunctions(pool, name), given);
  if (!fn) return notFound(name, given);

  // Like PostgREST, arguments travel as one JSON document turned into a typed record by
  // Postgres itself, so JSON arrays become SQL arrays and objects become json/jsonb.
  const columns = given.map((g) => `${quoteIdent(g)} ${fn.argTypes[fn.argNames.indexOf(g)]}`).join(", ");
  const call = `public.${quoteIdent(name)}(${
    given.map((g) => `${quoteIdent(g)} := _args.${quoteIdent(g)}`).join(", ")
  })`;
  const source = given.length > 0 ? ` from json_to_record($1::json) as _args(${columns})` : "";
  const sql = fn.returnsVoid
    ? `select ${call}${source}`
    : fn.returnsSet
    ? `select coalesce(json_agg(_r), '[]'::json) as result${source || " from"}${
      source ? "," : ""
    } lateral ${call} as _r`
    : `select to_json(${call}) as result${source}`;

  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query(`set local role ${quoteIdent(role)}`);
    await client.query("select set_config('request.jwt.claims', $1, true), set_config('statement_timeout', $2, true)", [
      JSON.stringify(claims),
      STATEMENT_TIMEOUT[role],
    ]);
    const { rows } = await client.query<{ result: unknown }>(sql, given.length > 0 ? [JSON.stringify(args)] : []);
    await client.query("commit");
    if (fn.returnsVoid) return { status: 204 };
    return { status: 200, body: rows[0]?.result ?? null };
  } catch (error) {
    await client.query("rollback");
    const mapped = postgrestErrorFrom(error as DatabaseErrorLike, role);
    return { status: mapped.status, body: mapped.body };
  } finally {
    client.release();
  }
}
