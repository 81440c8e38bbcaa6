// Registering the project's webhook receiver with Ploomes (POST/GET/DELETE /Webhooks): one
// registration per deal action, reused when it already exists, so `register` can run any number
// of times. Ploomes' entity and action ids are not documented publicly: they are settings
// (PLOOMES_WEBHOOK_DEAL_ENTITY_ID, PLOOMES_WEBHOOK_ACTION_IDS), defaulting to what the simulator uses.

/** A Ploomes answer longer than this is a network problem, not an answer. */
const PLOOMES_TIMEOUT_MS = 20_000;
export const DEFAULT_DEAL_ENTITY_ID = 2;
export const DEFAULT_ACTION_IDS = { create: 1, update: 2, delete: 3 } as const;
export type DealAction = keyof typeof DEFAULT_ACTION_IDS;
export const RECEIVER_PATH = "/functions/v1/ploomes-webhook";

export interface WebhookTarget {
  readonly ploomesBaseUrl: string;
  readonly apiKey: string;
  /** Where Ploomes calls: `<SUPABASE_URL>/functions/v1/ploomes-webhook`. */
  readonly callbackUrl: string;
  readonly validationKey: string;
  readonly dealEntityId: number;
  readonly actionIds: Readonly<Record<DealAction, number>>;
}

export interface Registration {
  readonly Id: number;
  readonly EntityId: number;
  readonly ActionId: number;
  readonly CallbackUrl: string;
}

async function ploomes(target: WebhookTarget, method: string, path: string, body?: unknown): Promise<unknown> {
  const url = `${target.ploomesBaseUrl.replace(/\/+$/, "")}${path}`;
  const response = await fetch(url, {
    method,
    headers: { "User-Key": target.apiKey, accept: "application/json", "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: "manual",
    signal: AbortSignal.timeout(PLOOMES_TIMEOUT_MS),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(
      `Ploomes ${method} ${path} → ${response.status}: ${
        text.slice(0, 200)
      }; check PLOOMES_API_KEY and PLOOMES_BASE_URL`,
    );
  }
  return text === "" ? null : JSON.parse(text);
}

function isRegistration(value: unknown): value is Registration {
  if (value === null || typeof value !== "object") return false;
  const r = value as Record<string, unknown>;
  return Number.isInteger(r.Id) && Number.isInteger(r.EntityId) && Number.isInteger(r.ActionId) &&
    typeof r.CallbackUrl === "string";
}

export async function listRegistrations(target: WebhookTarget): Promise<Registration[]> {
  const answer = await ploomes(target, "GET", "/Webhooks");
  const value = (answer as { value?: unknown } | null)?.value;
  return Array.isArray(value) ? value.filter(isRegistration) : [];
}

/** This project's registrations: deal events to our callback. */
export function ours(target: WebhookTarget, registrations: readonly Registration[]): Registration[] {
  return registrations.filter((r) => r.EntityId === target.dealEntityId && r.CallbackUrl === target.callbackUrl);
}

export interface RegisterResult {
  readonly action: DealAction;
  readonly id: number;
  readonly created: boolean;
}

export async function registerWebhooks(target: WebhookTarget): Promise<RegisterResult[]> {
  const existing = ours(target, await listRegistrations(target));
  const results: RegisterResult[] = [];
  for (const action of Object.keys(target.actionIds) as DealAction[]) {
    const actionId = target.actionIds[action];
    const found = existing.find((r) => r.ActionId === actionId);
    if (found) {
      results.push({ action, id: found.Id, created: false });
      continue;
    }
    const answer = await ploomes(target, "POST", "/Webhooks", {
      EntityId: target.dealEntityId,
      ActionId: actionId,
      CallbackUrl: target.callbackUrl,
      ValidationKey: target.validationKey,
    });
    const created = [(answer as { value?: unknown } | null)?.value].flat().find(isRegistration) ??
      (isRegistration(answer) ? answer : null);
    if (!created) throw new Error(`Ploomes POST /Webhooks answered no registration: ${JSON.stringify(answer)}`);
    results.push({ action, id: created.Id, created: true });
  }
  return results;
}

export async function removeWebhooks(target: WebhookTarget): Promise<number[]> {
  const removed: number[] = [];
  for (const registration of ours(target, await listRegistrations(target))) {
    await ploomes(target, "DELETE", `/Webhooks(${registration.Id})`);
    removed.push(registration.Id);
  }
  return removed;
}

/** `create=1,update=2,delete=3` → the three ids; every action must be named once. */
export function parseActionIds(text: string): Record<DealAction, number> {
  const ids: Partial<Record<DealAction, number>> = {};
  for (const part of text.split(",")) {
    const [name, value] = part.split("=").map((s) => s.trim());
    if (!name || !(name in DEFAULT_ACTION_IDS) || !value || !/^\d+$/.test(value)) {
      throw new Error(`PLOOMES_WEBHOOK_ACTION_IDS: "${part}" is not action=id (e.g. create=1,update=2,delete=3)`);
    }
    ids[name as DealAction] = Number(value);
  }
  const missing = (Object.keys(DEFAULT_ACTION_IDS) as DealAction[]).filter((a) => ids[a] === undefined);
  if (missing.length > 0) throw new Error(`PLOOMES_WEBHOOK_ACTION_IDS lacks ${missing.join(", ")}`);
  return ids as Record<DealAction, number>;
}
