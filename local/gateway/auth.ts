// Which database role a request runs as, the way Supabase decides it: Kong requires an `apikey`
// on the Data API; PostgREST then takes the role from the JWT in `Authorization` (or the apikey).
// Legacy keys are HS256 JWTs signed with the project's JWT secret; new-style keys
// (sb_publishable_…, sb_secret_…) are opaque and map to anon / service_role.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { StackKeys } from "../stack/keys.ts";

export type ApiRole = "anon" | "authenticated" | "service_role";

export type AuthOutcome =
  | { ok: true; role: ApiRole; claims: Record<string, unknown> }
  | { ok: false; status: 401; body: Record<string, string> };

const API_ROLES: readonly ApiRole[] = ["anon", "authenticated", "service_role"];

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function jwtError(message: string): AuthOutcome {
  return { ok: false, status: 401, body: { code: "PGRST301", message, details: "", hint: "" } };
}

export type JwtCheck = { ok: true; claims: Record<string, unknown> } | { ok: false; message: string };

/** Checks an HS256 JWT's signature and `exp` against the project's JWT secret. */
export function checkJwtSignature(token: string, secret: string, nowSeconds: number): JwtCheck {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, message: "Expected 3 parts in JWT; got " + parts.length };
  const [header, payload, signature] = parts as [string, string, string];
  const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  if (!sameSecret(expected, signature)) return { ok: false, message: "JWSError JWSInvalidSignature" };
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch (error) {
    return { ok: false, message: `JWT payload is not JSON: ${(error as Error).message}` };
  }
  if (typeof claims.exp === "number" && claims.exp < nowSeconds) return { ok: false, message: "JWT expired" };
  return { ok: true, claims };
}

export function verifyJwt(token: string, secret: string, nowSeconds: number): AuthOutcome {
  const checked = checkJwtSignature(token, secret, nowSeconds);
  if (!checked.ok) return jwtError(checked.message);
  const { claims } = checked;
  const role = claims.role;
  if (typeof role !== "string" || !API_ROLES.includes(role as ApiRole)) {
    return jwtError(`JWT role ${JSON.stringify(role)} is not one of ${API_ROLES.join(", ")}`);
  }
  return { ok: true, role: role as ApiRole, claims };
}

/** Resolves the role for a Data API request from its `apikey` and `Authorization` headers. */
export function resolveRole(
  apikey: string | undefined,
  authorization: string | undefined,
  keys: StackKeys,
  nowSeconds: number,
): AuthOutcome {
  if (!apikey) {
    return {
      ok: false,
      status: 401,
      body: { message: "No API key found in request", hint: "send your project's key in the apikey header" },
    };
  }
  const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  const token = bearer && !bearer.startsWith("sb_") ? bearer : apikey;
  if (sameSecret(token, keys.SECRET_KEY)) return { ok: true, role: "service_role", claims: { role: "service_role" } };
  if (sameSecret(token, keys.PUBLISHABLE_KEY)) return { ok: true, role: "anon", claims: { role: "anon" } };
  if (token.startsWith("sb_")) {
    return {
      ok: false,
      status: 401,
      body: { message: "Invalid API key", hint: "use the keys printed by npm run stack:status" },
    };
  }
  return verifyJwt(token, keys.JWT_SECRET, nowSeconds);
}
