// `npm run invoke -- [--full] [--dry-run] [--json]`: calls the function with supabase-js
// `functions.invoke`, as an app would. Locally it uses the stack's URL, anon key and CRON_SECRET;
// against a real project set SUPABASE_URL, SUPABASE_ANON_KEY (or SUPABASE_PUBLISHABLE_KEY) and
// CRON_SECRET (in the environment or .env).
import { parseArgs } from "node:util";
import { createClient, FunctionsHttpError } from "@supabase/supabase-js";
import { readStackKeys } from "../local/stack/keys.ts";
import { GATEWAY_URL } from "../local/stack/paths.ts";
import { loadDotEnv } from "./lib/dotenv.ts";
import { formatSummary } from "./lib/summary.ts";

const FUNCTION_NAME = "sync-customer-sales";

function settings(): { url: string; key: string; cronSecret: string; where: string } {
  const env = loadDotEnv();
  const local = readStackKeys();
  const url = env.SUPABASE_URL ?? GATEWAY_URL;
  const key = env.SUPABASE_ANON_KEY ?? env.SUPABASE_PUBLISHABLE_KEY ??
    (url === GATEWAY_URL ? local?.ANON_KEY : undefined);
  const cronSecret = env.CRON_SECRET ?? (url === GATEWAY_URL ? local?.CRON_SECRET : undefined);
  const missing = [
    ...(key ? [] : ["SUPABASE_ANON_KEY (or SUPABASE_PUBLISHABLE_KEY)"]),
    ...(cronSecret ? [] : ["CRON_SECRET"]),
  ];
  if (missing.length > 0 || !key || !cronSecret) {
    throw new Error(`set ${missing.join(" and ")} to invoke ${url} (locally, run npm run stack:up first)`);
  }
  return { url, key, cronSecret, where: url === GATEWAY_URL ? "the local stack" : url };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { full: { type: "boolean" }, "dry-run": { type: "boolean" }, json: { type: "boolean" } },
    strict: true,
  });
  const { url, key, cronSecret, where } = settings();
  const supabase = createClient(url, key, { auth: { persistSession: false, autoRefreshToken: false } });
  if (!values.json) process.stdout.write(`invoking ${FUNCTION_NAME} on ${where} with supabase.functions.invoke…\n`);
  const { data, error } = await supabase.functions.invoke(FUNCTION_NAME, {
    body: { mode: values.full ? "full" : "auto", dryRun: values["dry-run"] ?? false, trigger: "manual" },
    headers: { "x-cron-secret": cronSecret },
  });
  let status = 200;
  let body: Record<string, unknown>;
  if (error instanceof FunctionsHttpError) {
    const response = error.context as Response;
    status = response.status;
    body = (await response.json()) as Record<string, unknown>;
  } else if (error) {
    throw new Error(`${error.name}: ${error.message}`);
  } else {
    body = data as Record<string, unknown>;
  }
  process.stdout.write(
    values.json ? `${JSON.stringify({ httpStatus: status, ...body }, null, 2)}\n` : `${formatSummary(body)}\n`,
  );
  return status === 200 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm run invoke: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
