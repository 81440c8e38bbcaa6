// JSON helpers for untrusted input (Ploomes bodies, rows): a plain-object guard, and a parse
// that returns failure as a value and never echoes the input (bodies carry customer data).

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON.parse as a result value; the error text never echoes the input (it may be sensitive). */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    // V8 quotes the input in its message; keep only the error's type.
    return { ok: false, reason: error instanceof Error ? error.name : "parse error" };
  }
}
