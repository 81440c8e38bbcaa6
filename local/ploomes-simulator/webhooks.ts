// Ploomes webhooks. Known: `POST /Webhooks` with `{EntityId, ActionId, CallbackUrl, ValidationKey}`
// registers a callback for one entity's create, update or delete, and each call carries the
// record's `New` and `Old` state. Not public: which ids mean "deal" and "update", and the exact
// call body — so those are settings (settings.ts, webhook*). This module keeps the registrations
// (per account, as the rate limit is), answers `/Webhooks`, and turns each deal mutation the
// store reports into calls for webhook-delivery.ts.

import { notFound } from "./api.ts";
import type { DealChange } from "./data/store.ts";
import { idOf, type Row } from "./data/model.ts";
import { isPlainObject } from "./data/validate.ts";
import { type Answer, errorAnswer, json } from "./http-util.ts";
import type { Settings } from "./settings.ts";
import { type DeliveryPolicy, type WebhookDelivery, WebhookDispatcher } from "./webhook-delivery.ts";

export type { WebhookAction, WebhookDelivery } from "./webhook-delivery.ts";

/** A registration as the API shows it: the ValidationKey is never echoed back [inf: a secret]. */
export interface WebhookRegistration {
  readonly Id: number;
  readonly EntityId: number;
  readonly ActionId: number;
  readonly CallbackUrl: string;
}

interface StoredRegistration extends WebhookRegistration {
  readonly ValidationKey: string;
  readonly account: string;
}

/** Registration Ids start here whatever the seed, so tests can expect them literally. */
const FIRST_REGISTRATION_ID = 1;
/** `/Webhooks` and `/Webhooks(<Id>)`. */
const WEBHOOKS_PATH = /^\/Webhooks(?:\((\d+)\))?$/;
/** The header that carries the key when webhookKeyIn is "header". */
export const VALIDATION_KEY_HEADER = "Validation-Key";
/** What Node accepts in a header value (tab, printable ASCII, Latin-1): the key may travel as one. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const BODY_SHAPE = "{EntityId, ActionId, CallbackUrl, ValidationKey}";

export interface WebhooksEnv {
  readonly now: () => number;
  readonly settings: () => Readonly<Settings>;
  /** A deal row as `GET /Deals` serves it without `$select`. */
  readonly serveDeal: (row: Row) => Record<string, unknown>;
}

export class Webhooks {
  /** By Id; a Map keeps insertion order, which is Id order. */
  private registrations = new Map<number, StoredRegistration>();
  private nextId = FIRST_REGISTRATION_ID;
  private readonly delivery: WebhookDispatcher;

  constructor(private readonly env: WebhooksEnv) {
    this.delivery = new WebhookDispatcher({ now: env.now, logLimit: () => env.settings().requestLogLimit });
  }

  register(account: string, fields: Omit<StoredRegistration, "Id" | "account">): WebhookRegistration {
    const stored: StoredRegistration = { Id: this.nextId++, ...fields, account };
    this.registrations.set(stored.Id, stored);
    return publicView(stored);
  }

  list(account: string): WebhookRegistration[] {
    return [...this.registrations.values()].filter((r) => r.account === account).map(publicView);
  }

  find(account: string, id: number): WebhookRegistration | undefined {
    const stored = this.registrations.get(id);
    return stored?.account === account ? publicView(stored) : undefined;
  }

  /** False when the account has no registration with that Id (another account's is not its to delete). */
  unregister(account: string, id: number): boolean {
    if (this.registrations.get(id)?.account !== account) return false;
    return this.registrations.delete(id);
  }

  /**
   * Queues one call per registration for the deal entity and this action. New and Old are shaped
   * now, so a call shows the deal as it was at the mutation, whatever happens before it goes out.
   */
  dealChanged(change: DealChange): void {
    // Most mutations (benchmarks, sync tests) have no registration at all: cost nothing then.
    if (this.registrations.size === 0) return;
    const settings = this.env.settings();
    const entityId = settings.webhookDealEntityId;
    const actionId = settings.webhookActionIds[change.action];
    const targets = [...this.registrations.values()].filter((r) => r.EntityId === entityId && r.ActionId === actionId);
    const row = change.after ?? change.before;
    if (targets.length === 0 || row === null) return;
    const New = change.after === null ? null : this.env.serveDeal(change.after);
    const Old = change.before === null ? null : this.env.serveDeal(change.before);
    const policy: DeliveryPolicy = {
      duplicate: settings.webhookDuplicate,
      outOfOrder: settings.webhookOutOfOrder,
      delayMs: settings.webhookDelayMs,
      dropEvery: settings.webhookDropEvery,
      retries: settings.webhookRetries,
      retryDelayMs: settings.webhookRetryDelayMs,
    };
    const inBody = settings.webhookKeyIn === "body";
    for (const target of targets) {
      const payload = {
        EntityId: entityId,
        ActionId: actionId,
        New,
        Old,
        ...(inBody ? { ValidationKey: target.ValidationKey } : {}),
      };
      this.delivery.enqueue({
        registrationId: target.Id,
        dealId: idOf(row),
        action: change.action,
        url: target.CallbackUrl,
        headers: inBody ? {} : { [VALIDATION_KEY_HEADER]: target.ValidationKey },
        body: JSON.stringify(payload),
      }, policy);
    }
  }

  deliveries(): WebhookDelivery[] {
    return this.delivery.deliveries();
  }

  idle(): Promise<void> {
    return this.delivery.whenIdle();
  }

  /** Abandons every pending and in-flight delivery and queues none after; registrations and the log stay. */
  stop(): void {
    this.delivery.stop();
  }

  /** No registrations, Ids from the start, an empty log, nothing pending. */
  reset(): void {
    this.registrations.clear();
    this.nextId = FIRST_REGISTRATION_ID;
    this.delivery.reset();
  }
}

function publicView({ Id, EntityId, ActionId, CallbackUrl }: StoredRegistration): WebhookRegistration {
  return { Id, EntityId, ActionId, CallbackUrl };
}

export function isWebhooksPath(path: string): boolean {
  return path === "/Webhooks" || path.startsWith("/Webhooks(");
}

export interface WebhooksRequest {
  readonly method: string;
  /** Decoded path: `/Webhooks` or `/Webhooks(<Id>)`. */
  readonly path: string;
  /** The request body; null when it was larger than the server reads. */
  readonly body: string | null;
  readonly account: string;
}

/** Answers an authenticated, admitted request to `/Webhooks…` (query options are ignored). */
export function answerWebhooks(webhooks: Webhooks, request: WebhooksRequest): Answer {
  const { method, path, account } = request;
  const match = WEBHOOKS_PATH.exec(path);
  if (!match) return notFound(path);
  const idText = match[1];
  if (idText === undefined) {
    if (method === "GET") return json(200, { value: webhooks.list(account) });
    if (method !== "POST") return methodNotAllowed(method);
    const parsed = parseRegistration(request.body);
    if (typeof parsed === "string") return errorAnswer(400, parsed, "json");
    return json(200, { value: [webhooks.register(account, parsed)] });
  }
  const id = Number(idText);
  if (method === "GET") {
    const found = webhooks.find(account, id);
    return found === undefined ? notFound(path) : json(200, { value: [found] });
  }
  if (method !== "DELETE") return methodNotAllowed(method);
  return webhooks.unregister(account, id) ? { status: 204, headers: {}, body: "" } : notFound(path);
}

/** ASP.NET Web API's answer to a verb the route does not take [inf]. */
function methodNotAllowed(method: string): Answer {
  return errorAnswer(405, `The requested resource does not support http method '${method}'.`, "json");
}

/** The registration's fields, or the message of the 400 (every problem at once). */
function parseRegistration(text: string | null): Omit<StoredRegistration, "Id" | "account"> | string {
  if (text === null) return "The request body is too large.";
  let body: unknown;
  try {
    body = text.trim() === "" ? undefined : JSON.parse(text);
  } catch {
    return "The request body is not valid JSON.";
  }
  if (!isPlainObject(body)) return `The request body must be a JSON object ${BODY_SHAPE}.`;
  // Other members are ignored, as ASP.NET model binding ignores unknown members [inf].
  const { EntityId, ActionId, CallbackUrl, ValidationKey } = body;
  const problems: string[] = [];
  const required = (name: string, value: unknown, valid: boolean, rule: string) => {
    if (value === undefined) problems.push(`${name} is required`);
    else if (!valid) problems.push(`${name} must be ${rule}`);
  };
  required("EntityId", EntityId, isPositiveInteger(EntityId), "a positive integer");
  required("ActionId", ActionId, isPositiveInteger(ActionId), "a positive integer");
  required("CallbackUrl", CallbackUrl, isHttpUrl(CallbackUrl), "an absolute http or https URL");
  required(
    "ValidationKey",
    ValidationKey,
    typeof ValidationKey === "string" && HEADER_VALUE.test(ValidationKey),
    "a string without line breaks or control characters",
  );
  if (
    problems.length > 0 || typeof EntityId !== "number" || typeof ActionId !== "number" ||
    typeof CallbackUrl !== "string" || typeof ValidationKey !== "string"
  ) {
    return `Invalid webhook: ${problems.join("; ")}.`;
  }
  return { EntityId, ActionId, CallbackUrl, ValidationKey };
}

function isPositiveInteger(value: unknown): boolean {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
