// The Ploomes layer, with the key the function uses (PLOOMES_API_KEY; locally the function's env):
// one `$top=1` request with the production $select/$expand when all is well. Ploomes answers 403
// both for a key without access and for a field it does not know, so a 403 is followed by the
// same request with `$select=Id` only: refused too → the key; accepted → a field, which a few more
// requests (halving the field list) name.
import {
  buildDealsExpand,
  buildFullDealsQuery,
  buildQuery,
  CONTACT_FIELDS,
  DEAL_FIELDS,
  DEALS_PATH,
} from "../../supabase/functions/_shared/ploomes/odata.ts";
import { fetchFailure } from "./fetch-error.ts";
import { type Check, type DoctorContext, fail, ok, skip, warn } from "./check.ts";
import { DEFAULT_PLOOMES_BASE_URL } from "./target.ts";

/** Ploomes answers a one-row query in well under this. */
const PLOOMES_TIMEOUT_MS = 20_000;
const HTTP_OK = 200;
const UNAUTHORIZED = 401;
const FORBIDDEN = 403;
const TOO_MANY_REQUESTS = 429;

function baseUrl(context: DoctorContext): string {
  const reported = context.functionSettings?.ploomesBaseUrl;
  return (context.target.ploomesBaseUrl ?? (typeof reported === "string" ? reported : DEFAULT_PLOOMES_BASE_URL))
    .replace(/\/+$/, "");
}

async function ploomesStatus(context: DoctorContext, key: string, pathAndQuery: string): Promise<number> {
  const response = await fetch(`${baseUrl(context)}${pathAndQuery}`, {
    headers: { "User-Key": key, accept: "application/json" },
    // The User-Key must never follow a redirect to another host.
    redirect: "manual",
    signal: AbortSignal.timeout(PLOOMES_TIMEOUT_MS),
  });
  await response.body?.cancel();
  return response.status;
}

const PRODUCTION_QUERY = buildFullDealsQuery({ lastId: null }, { pageSize: 1, includeProducts: true });
const MINIMAL_QUERY = buildQuery(DEALS_PATH, [["$top", "1"], ["$select", "Id"]]);

const NO_KEY =
  "skipped: PLOOMES_API_KEY is not set here (PLOOMES_API_KEY=… npm run doctor checks the key with one request)";
const KEY_FIX =
  "A new key from Ploomes (Administration > Integration > API, an administrator's User-Key): npx supabase secrets set PLOOMES_API_KEY=<key>";

const key: Check = {
  id: "ploomes.key",
  async run(context) {
    const apiKey = context.target.ploomesApiKey;
    if (apiKey === null) return skip(NO_KEY);
    const where = `${baseUrl(context)}${DEALS_PATH}`;
    let production: number;
    try {
      production = await ploomesStatus(context, apiKey, PRODUCTION_QUERY);
    } catch (error) {
      return fail(
        `cannot reach ${where}: ${fetchFailure(error)}`,
        "Check PLOOMES_BASE_URL (default https://public-api2.ploomes.com) and the network.",
      );
    }
    context.ploomesAnswers.production = production;
    if (production === HTTP_OK) return ok(`${where}: the key is accepted`);
    if (production === UNAUTHORIZED) return fail(`${where} → 401: Ploomes does not accept the key`, KEY_FIX);
    if (production === TOO_MANY_REQUESTS) {
      return warn(
        `${where} → 429: the account's 120 requests/minute are used up right now`,
        "Run npm run doctor again in a minute.",
      );
    }
    if (production !== FORBIDDEN) return fail(`${where} → ${production}`, "See docs/operations.md, Common failures.");
    const minimal = await ploomesStatus(context, apiKey, MINIMAL_QUERY);
    context.ploomesAnswers.minimal = minimal;
    if (minimal === FORBIDDEN || minimal === UNAUTHORIZED) {
      return fail(
        `${where} → ${minimal} even for $select=Id: the key has no access to deals (not a field name)`,
        KEY_FIX,
      );
    }
    return ok(`${where}: the key is accepted ($select=Id → ${minimal})`);
  },
};

/** The field Ploomes refuses among `fields` (assumed to be one), by halving: about log2(n) requests. */
export async function refusedField(
  fields: readonly string[],
  accepts: (subset: readonly string[]) => Promise<boolean>,
): Promise<string | null> {
  let candidates = fields;
  while (candidates.length > 1) {
    const half = candidates.slice(0, Math.ceil(candidates.length / 2));
    candidates = (await accepts(half)) ? candidates.slice(half.length) : half;
  }
  const last = candidates[0];
  return last !== undefined && !(await accepts([last])) ? last : null;
}

const query: Check = {
  id: "ploomes.query",
  async run(context) {
    const apiKey = context.target.ploomesApiKey;
    const { production, minimal } = context.ploomesAnswers;
    if (apiKey === null) return skip(NO_KEY);
    if (production === HTTP_OK) return ok("the production $select and $expand are accepted");
    if (production !== FORBIDDEN || minimal !== HTTP_OK) {
      return skip("skipped: the key check did not pass (ploomes.key)");
    }
    const status = (q: string) => ploomesStatus(context, apiKey, q);
    const top1 = (params: [string, string][]) => buildQuery(DEALS_PATH, [["$top", "1"], ...params]);
    if (await status(buildFullDealsQuery({ lastId: null }, { pageSize: 1, includeProducts: false })) === HTTP_OK) {
      return warn(
        "Ploomes refuses only the deals' Products expansion: line items cannot come from deals",
        "None needed with PLOOMES_LINE_ITEMS_SOURCE=auto (it takes orders or quotes); otherwise set it to orders, quotes or none (docs/metrics.md).",
      );
    }
    const dealField = await refusedField(
      DEAL_FIELDS,
      async (subset) => await status(top1([["$select", subset.join(",")]])) === HTTP_OK,
    );
    const contactField = dealField === null
      ? await refusedField(
        CONTACT_FIELDS,
        async (subset) =>
          await status(top1([["$select", "Id"], ["$expand", `Contact($select=${subset.join(",")})`]])) === HTTP_OK,
      )
      : null;
    const named = dealField !== null
      ? `the deal field ${dealField}`
      : contactField !== null
      ? `the contact field ${contactField} (in $expand=${buildDealsExpand(false)})`
      : "a name in $select/$expand";
    return fail(
      `Ploomes answers 403 to the production query but 200 to $select=Id: the key is fine, ${named} is unknown to Ploomes (renamed or removed)`,
      "Compare the field lists in supabase/functions/_shared/ploomes/odata.ts with Ploomes' API, update them and deploy: npx supabase functions deploy sync-customer-sales",
    );
  },
};

export const PLOOMES_CHECKS: readonly Check[] = [key, query];
