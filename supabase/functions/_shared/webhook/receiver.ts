// The ploomes-webhook Edge Function's HTTP contract, runtime-neutral: Request in, Response out.
// Order: POST only (405); a broken configuration fails closed (500); the body is capped (413) and
// must be a JSON object (400); the validation key, from the body's ValidationKey or the
// Validation-Key header, must match PLOOMES_WEBHOOK_KEY in constant time (401); an event about
// another entity is acknowledged and dropped (202); one without a usable deal Id is refused (422);
// otherwise one RPC queues the deal's Id and action for the sync to refresh (200, or 503 so Ploomes
// retries). No Ploomes call, no payload value stored, and none but the deal Id and action ever
// echoed in a response or a log line.
import type { DatabaseAccess } from "../config/config.ts";
import { formatProblems } from "../config/config.ts";
import { secretsMatch } from "../http/secret.ts";
import { MAX_BODY_BYTES, readCappedText } from "./body.ts";
import type { WebhookConfigResult } from "./config.ts";
import { bodyValidationKey, type DealAction, isJsonObject, readPayload } from "./payload.ts";

export type DealEvent = { readonly dealId: number; readonly action: DealAction };
export type Enqueue = (database: DatabaseAccess, event: DealEvent) => Promise<void>;
export type Logger = (event: Record<string, unknown>) => void;

export interface ReceiverDeps {
  /** Parsed once at start-up. */
  readonly config: WebhookConfigResult;
  readonly enqueue: Enqueue;
  readonly log: Logger;
}

/** The header that may carry the validation key (the other place is the body's ValidationKey). */
export const VALIDATION_KEY_HEADER = "validation-key";
const ALLOWED_METHOD = "POST";
const LOG_EVENT = "ploomes-webhook";

type KeyPlace = "body" | "header";

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** Where the presented keys were, and which of them matched (each compared, whatever the other gave). */
async function checkKey(presented: ReadonlyMap<KeyPlace, string>, expected: string) {
  const matches = await Promise.all(
    [...presented].map(async ([place, key]) => ((await secretsMatch(key, expected)) ? place : null)),
  );
  return { presentedIn: [...presented.keys()], matchedIn: matches.find((place) => place !== null) ?? null };
}

export async function handleWebhook(request: Request, deps: ReceiverDeps): Promise<Response> {
  const answer = (status: number, body: unknown, fields: Record<string, unknown>, headers?: Record<string, string>) => {
    deps.log({ event: LOG_EVENT, status, ...fields });
    return json(status, body, headers);
  };

  if (request.method !== ALLOWED_METHOD) {
    return answer(
      405,
      { error: `method ${request.method} not allowed; use POST` },
      { outcome: "method-not-allowed" },
      { allow: ALLOWED_METHOD },
    );
  }
  if (!deps.config.ok) {
    const { problems } = deps.config;
    const variables = problems.map((problem) => problem.variable);
    return answer(500, { error: `configuration error: ${formatProblems(problems)}` }, {
      outcome: "configuration-error",
      variables,
    });
  }
  const { key, dealEntityId, database } = deps.config.config;

  const text = await readCappedText(request);
  if (text === null) {
    return answer(413, { error: `request body too large; the limit is ${MAX_BODY_BYTES} bytes` }, {
      outcome: "too-large",
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // The parser's message may quote the body.
    return answer(400, { error: "body is not valid JSON" }, { outcome: "invalid-json" });
  }
  if (!isJsonObject(body)) return answer(400, { error: "body is not a JSON object" }, { outcome: "invalid-json" });

  const presented = new Map<KeyPlace, string>();
  const inBody = bodyValidationKey(body);
  if (inBody !== null) presented.set("body", inBody);
  const inHeader = request.headers.get(VALIDATION_KEY_HEADER);
  if (inHeader !== null && inHeader !== "") presented.set("header", inHeader);
  const { presentedIn, matchedIn } = await checkKey(presented, key);
  if (matchedIn === null) return answer(401, { error: "unauthorized" }, { outcome: "unauthorized", presentedIn });

  const payload = readPayload(body, dealEntityId);
  if (payload.kind === "ignored") {
    return answer(202, { ignored: payload.reason }, { outcome: "ignored", reason: payload.reason, keyIn: matchedIn });
  }
  if (payload.kind === "invalid") {
    return answer(422, { error: payload.problem }, { outcome: "invalid", problem: payload.problem, keyIn: matchedIn });
  }
  const { dealId, action } = payload;
  try {
    await deps.enqueue(database, { dealId, action });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const failed = `could not queue the event: ${message}`;
    return answer(503, { error: failed }, { outcome: "enqueue-failed", dealId, action, error: failed });
  }
  return answer(200, { queued: true, dealId, action }, { outcome: "queued", dealId, action, keyIn: matchedIn });
}
