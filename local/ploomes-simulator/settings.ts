// Every behaviour of the real API that the evidence does not settle is a setting here, with the
// default the simulator uses and a note on where that default comes from. Tags as in this
// simulator's README.md: [doc] Ploomes says so, [obs] seen in real
// responses or working code, [3p] a claim without evidence, [inf] our own inference.
// Settings can be read and changed at run time (PATCH /__sim/settings).

import { z } from "zod";
import { AdminError } from "./errors.ts";

const errorFormat = z.enum(["json", "html", "text", "empty"]);
const webhookId = z.number().int().positive();

const settingsSchema = z.strictObject({
  /** Rows per page and largest $top. 300 [doc: n8n README "Records per page: 300"]. */
  pageSize: z.number().int().positive(),
  /**
   * $top above pageSize. "nextLink": pageSize rows plus @odata.nextLink carrying the rest of $top
   * [obs: two clients follow nextLink; inf: that they get one here]; "truncate": pageSize rows,
   * nothing else [3p: a cheatsheet]; "error400": refuse, as ASP.NET's MaxTop does [inf].
   */
  topOverflow: z.enum(["nextLink", "truncate", "error400"]),
  /** No $top at all: "nextLink" [obs: a client that sends no $top relies on nextLink] or "truncate". */
  missingTop: z.enum(["nextLink", "truncate"]),
  /** Whether $count=true adds @odata.count. Off: the option is accepted and ignored [3p: one cheatsheet claims support; unverified]. */
  supportsCount: z.boolean(),
  /** Status for a missing or unknown User-Key: 401 [inf: what every client assumes; no capture exists]. */
  authFailureStatus: z.union([z.literal(401), z.literal(403)]),
  /** Body of that answer. "json": {"error":{"code":"","message":…}} [inf: OData error shape]. */
  authFailureFormat: errorFormat,
  /**
   * Body of the 403 for an unknown property. The message "Your request has been forbidden" is
   * [obs]; its wrapping is not: "json" (default) wraps it in the OData error shape [inf].
   */
  forbiddenFormat: errorFormat,
  /** Requests per window per account: 120 [doc: "120 per account"]. */
  rateLimitPerMinute: z.number().int().positive(),
  /** The window: 60 s [doc: "per minute"]; sliding rather than fixed [inf]. */
  rateLimitWindowMs: z.number().int().positive(),
  /** Header on a rate-limit 429: none [inf: no source shows one], seconds, or an HTTP date. */
  retryAfter: z.enum(["none", "seconds", "httpDate"]),
  /** Whether 429 answers themselves use up the window [inf: they do not]. */
  countRejectedRequests: z.boolean(),
  /** Extra delay before every API answer, in ms (0: none). */
  latencyMs: z.number().int().nonnegative(),
  /**
   * Base of @odata.context; null: the address the request came to. The real API names its shard
   * host (`https://public6-api2.ploomes.com`) [obs]; set that to compare bodies across servers.
   */
  contextBaseUrl: z.url().nullable(),
  /**
   * A renamed contact and the ContactName/PersonName copied on its deals [unknown]: "none" keeps the
   * old name, "silent" (default) updates it without touching LastUpdateDate — the case an
   * incremental sync cannot see —, "bump" updates it and bumps the deals' LastUpdateDate.
   */
  contactNamePropagation: z.enum(["none", "silent", "bump"]),
  /**
   * Where the account keeps its line items [unknown/obs]: whether the deal navigation `Products`
   * carries them is disputed, and in one real account they lived in Quotes@Products and
   * Orders@Products instead [obs]. "everywhere" (default): the deal's `Products` expansion, /Orders,
   * /Quotes and their @Products sets all serve lines. "deals": the order and quote sets answer
   * empty collections (the account does not use them). "orders" / "quotes": the deal `Products`
   * expansion is accepted but always `[]`, the other document kind is empty, this one is served.
   * "refuseDealExpansion": expanding a deal's `Products` is 403 (as an unknown name is); orders
   * and quotes are served.
   */
  lineItemsOn: z.enum(["everywhere", "deals", "orders", "quotes", "refuseDealExpansion"]),
  /**
   * Names the account's entities no longer have, as `<EntityType>.<Name>` (a property or a
   * navigation: "Deal.ContactName", "Deal.Products"). Ploomes answers 403 for a name it does not
   * know [obs], so a field it renames or drops breaks every query that names it; the list lets a
   * test play "a field the client asks for no longer exists". A listed name is undeclared: 403 in
   * $select, $filter, $orderby, $expand (also through navigations, e.g. Contact/Name for
   * "Contact.Name") and left out of rows served without $select. Default [] (the model as
   * declared). Entries that name nothing declared change nothing.
   */
  unknownProperties: z.array(
    z.string().regex(/^[A-Za-z]+\.[A-Za-z]+$/, "expected <EntityType>.<Name>, e.g. Deal.ContactName"),
  ),
  /** Entries kept in the request log, and in the webhook delivery log (oldest dropped first). */
  requestLogLimit: z.number().int().positive(),
  // ---- webhooks (webhooks.ts, webhook-delivery.ts): Ploomes documents none of these numbers or shapes.
  /** EntityId that means "deal" in POST /Webhooks: 2 [inf: a guess; no public source lists the ids]. */
  webhookDealEntityId: webhookId,
  /** ActionId per deal mutation: create 1, update 2, delete 3 [inf: in that order]. PATCHed as a whole. */
  webhookActionIds: z.strictObject({ create: webhookId, update: webhookId, delete: webhookId }),
  /**
   * Where a call carries the registration's ValidationKey: "body" (default), a `ValidationKey` field
   * [inf: the registration names it next to the callback]; "header": a `Validation-Key` header, not
   * in the body [unknown].
   */
  webhookKeyIn: z.enum(["body", "header"]),
  // The next five are test devices for a receiver's defences, not claims about Ploomes.
  /** Deliver every call twice in a row (an at-least-once sender). */
  webhookDuplicate: z.boolean(),
  /** Deliver the calls of one batch (the calls queued in one turn of the event loop) last first. */
  webhookOutOfOrder: z.boolean(),
  /** Wait this long before delivering a batch (the value when the batch was queued). */
  webhookDelayMs: z.number().int().nonnegative(),
  /** Drop the Nth, 2Nth, … call handed to delivery (duplicates count); 0: drop none. Dropped calls are logged. */
  webhookDropEvery: z.number().int().nonnegative(),
  /** Retries after a 5xx, a network error or a timeout; any answer below 500 is final [unknown: 3 is our guess]. */
  webhookRetries: z.number().int().nonnegative(),
  /** Wait between the end of a failed attempt and its retry [unknown]. */
  webhookRetryDelayMs: z.number().int().nonnegative(),
});

export type Settings = z.infer<typeof settingsSchema>;
export type LineItemsOn = Settings["lineItemsOn"];
export const LINE_ITEMS_ON_VALUES: readonly LineItemsOn[] = settingsSchema.shape.lineItemsOn.options;

export const DEFAULT_SETTINGS: Readonly<Settings> = {
  pageSize: 300,
  topOverflow: "nextLink",
  missingTop: "nextLink",
  supportsCount: false,
  authFailureStatus: 401,
  authFailureFormat: "json",
  forbiddenFormat: "json",
  rateLimitPerMinute: 120,
  rateLimitWindowMs: 60_000,
  retryAfter: "none",
  countRejectedRequests: false,
  latencyMs: 0,
  contextBaseUrl: null,
  contactNamePropagation: "silent",
  lineItemsOn: "everywhere",
  unknownProperties: [],
  requestLogLimit: 10_000,
  webhookDealEntityId: 2,
  webhookActionIds: { create: 1, update: 2, delete: 3 },
  webhookKeyIn: "body",
  webhookDuplicate: false,
  webhookOutOfOrder: false,
  webhookDelayMs: 0,
  webhookDropEvery: 0,
  webhookRetries: 3,
  webhookRetryDelayMs: 1000,
};

/** Validates a partial settings object; unknown keys and wrong types are all reported at once. */
export function parseSettingsPatch(patch: unknown): Partial<Settings> {
  const result = settingsSchema.partial().safeParse(patch);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`);
    throw new AdminError(400, "invalid settings", problems);
  }
  return result.data;
}

/** The live settings: initial values from the options, changeable at run time, restorable by reset. */
export class SettingsHolder {
  private current: Settings;

  constructor(private readonly initial: Settings) {
    this.current = { ...initial };
  }

  get(): Readonly<Settings> {
    return this.current;
  }

  update(patch: unknown): Readonly<Settings> {
    this.current = { ...this.current, ...parseSettingsPatch(patch) };
    return this.current;
  }

  reset(): void {
    this.current = { ...this.initial };
  }
}
