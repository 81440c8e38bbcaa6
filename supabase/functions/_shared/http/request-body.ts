// The optional JSON body of a sync request (README "Triggering a sync"), validated strictly: unknown keys and wrong
// types are a 400 that lists every problem. An empty body means all defaults. `check` asks only for a
// configuration check (handler.ts); it is split off here so that the sync runner's SyncRequest never sees it.
import { z } from "zod";
import { REQUESTED_MODES, SYNC_TRIGGERS, type SyncRequest } from "../sync/request.ts";

export type { SyncRequest };

/** Bodies larger than this are refused with 413 before parsing. */
export const MAX_BODY_BYTES = 16 * 1024;

export const syncRequestSchema = z.strictObject({
  mode: z.enum(REQUESTED_MODES).default("auto"),
  dryRun: z.boolean().default(false),
  trigger: z.enum(SYNC_TRIGGERS).default("manual"),
  check: z.boolean().default(false),
}) satisfies z.ZodType<SyncRequest & { check: boolean }>;

/** `check: true` is a configuration check: the other fields are still validated, then ignored. */
export type BodyResult =
  | { ok: true; request: SyncRequest; check: boolean }
  | { ok: false; status: 400 | 413; problems: string[] };

/** Query parameters read as booleans: exactly "true" or "false"; anything else stays a string and is refused. */
const BOOLEAN_PARAMETERS: ReadonlySet<string> = new Set(["dryRun", "check"]);

export async function readSyncRequest(request: Request): Promise<BodyResult> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return tooLarge(declared);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) return tooLarge(bytes.byteLength);
  const text = new TextDecoder().decode(bytes).trim();
  let json: unknown = {};
  if (text !== "") {
    try {
      json = JSON.parse(text);
    } catch {
      // The parser's message may quote the body; the caller knows what it sent.
      return { ok: false, status: 400, problems: ["body is not valid JSON"] };
    }
  }
  const parsed = syncRequestSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      status: 400,
      problems: parsed.error.issues.map((issue) =>
        `${issue.path.length ? issue.path.join(".") : "body"}: ${issue.message}`
      ),
    };
  }
  return accepted(parsed.data);
}

/** GET requests carry their options in the query string (?mode=full&dryRun=true, ?check=true). */
export function syncRequestFromQuery(url: URL): BodyResult {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of url.searchParams) {
    raw[key] = BOOLEAN_PARAMETERS.has(key) && (value === "true" || value === "false") ? value === "true" : value;
  }
  const parsed = syncRequestSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      status: 400,
      problems: parsed.error.issues.map((i) => `${i.path.join(".") || "query"}: ${i.message}`),
    };
  }
  return accepted(parsed.data);
}

function accepted({ check, ...request }: z.output<typeof syncRequestSchema>): BodyResult {
  return { ok: true, request, check };
}

function tooLarge(size: number): BodyResult {
  return { ok: false, status: 413, problems: [`body is ${size} bytes; the limit is ${MAX_BODY_BYTES}`] };
}
