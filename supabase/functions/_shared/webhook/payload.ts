// What a Ploomes webhook call asks for, read defensively from its JSON body (pure, no I/O). Ploomes
// documents only `New` and `Old` (the record after and before the change); `EntityId`, `ActionId` and
// `ValidationKey` are read when present and never relied on beyond that. The payload is only a hint:
// what comes out is the deal's Id and the kind of change, never a field value to store.

export const DEAL_ACTIONS = ["create", "update", "delete"] as const;
export type DealAction = (typeof DEAL_ACTIONS)[number];

export type WebhookPayload =
  | { readonly kind: "deal"; readonly dealId: number; readonly action: DealAction }
  /** Acknowledged (2xx, so Ploomes does not retry) but not queued. */
  | { readonly kind: "ignored"; readonly reason: string }
  /** Says nothing usable about a deal; `problem` names what is missing, never a value. */
  | { readonly kind: "invalid"; readonly problem: string };

/** The body field that may carry the validation key (the other place is the Validation-Key header). */
export const VALIDATION_KEY_FIELD = "ValidationKey";
const ENTITY_ID_FIELD = "EntityId";
const INTEGER_TEXT = /^\d+$/;

type JsonObject = Readonly<Record<string, unknown>>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON null counts as absent: Ploomes may well send `"Old": null` on a creation. */
const isAbsent = (value: unknown): boolean => value === undefined || value === null;

/** The validation key carried in the body, if it is a non-empty string. */
export function bodyValidationKey(body: JsonObject): string | null {
  const key = body[VALIDATION_KEY_FIELD];
  return typeof key === "string" && key !== "" ? key : null;
}

/** A positive safe integer given as a JSON number (or, for EntityId only, digits in a string). */
function positiveId(value: unknown, textAllowed: boolean): number | null {
  const id = typeof value === "number"
    ? value
    : textAllowed && typeof value === "string" && INTEGER_TEXT.test(value)
    ? Number(value)
    : Number.NaN;
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** The record's Id, or null when the record is absent or its Id is not a positive integer. */
function recordId(record: unknown): number | null {
  return isJsonObject(record) ? positiveId(record["Id"], false) : null;
}

export function readPayload(body: JsonObject, dealEntityId: number): WebhookPayload {
  const entity = body[ENTITY_ID_FIELD];
  if (!isAbsent(entity) && positiveId(entity, true) !== dealEntityId) {
    // The value itself is not quoted: it came from the caller.
    return { kind: "ignored", reason: `not a deal event: EntityId is not ${dealEntityId}` };
  }
  const after = body["New"];
  const before = body["Old"];
  for (const [name, record] of [["New", after], ["Old", before]] as const) {
    if (!isAbsent(record) && !isJsonObject(record)) return { kind: "invalid", problem: `${name} is not an object` };
  }
  if (isAbsent(after) && isAbsent(before)) {
    return { kind: "invalid", problem: "neither New nor Old is present: nothing says which deal changed" };
  }
  const dealId = recordId(after) ?? recordId(before);
  if (dealId === null) {
    return { kind: "invalid", problem: "no deal Id: neither New.Id nor Old.Id is a positive integer" };
  }
  // ActionId is not trusted: which of the two records is present says what happened.
  const action: DealAction = isAbsent(before) ? "create" : isAbsent(after) ? "delete" : "update";
  return { kind: "deal", dealId, action };
}
