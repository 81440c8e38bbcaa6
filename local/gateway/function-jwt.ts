// The platform's `verify_jwt` gate in front of an Edge Function: with verify_jwt = true (the
// default) a request reaches the function only with a valid JWT in `Authorization: Bearer`;
// otherwise the platform answers 401 before the function runs. Bodies as hosted Supabase sends
// them (quoted in many reports): `{"code":401,"message":"Missing authorization header"}` when the
// header is absent, `{"code":401,"message":"Invalid JWT"}` for anything that does not verify.
// Locally only legacy HS256 tokens signed with the stack's JWT secret exist (no JWKS, so no
// asymmetric keys). Like the CLI's serve template, OPTIONS (CORS preflight) is let through.
import { checkJwtSignature } from "./auth.ts";

export interface FunctionJwtRejection {
  status: 401;
  body: { code: 401; message: string };
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const EXPECTED_ALG = "HS256";

function rejection(message: string): FunctionJwtRejection {
  return { status: 401, body: { code: 401, message } };
}

function headerAlg(token: string): unknown {
  try {
    const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8")) as {
      alg?: unknown;
    };
    return header.alg;
  } catch {
    return undefined;
  }
}

/** null when the request may reach the function, else the 401 to answer. */
export function checkFunctionJwt(
  method: string | undefined,
  authorization: string | undefined,
  jwtSecret: string,
  nowSeconds: number,
): FunctionJwtRejection | null {
  if (method === "OPTIONS") return null;
  if (authorization === undefined || authorization.trim() === "") return rejection("Missing authorization header");
  const token = BEARER.exec(authorization)?.[1];
  if (!token || headerAlg(token) !== EXPECTED_ALG) return rejection("Invalid JWT");
  return checkJwtSignature(token, jwtSecret, nowSeconds).ok ? null : rejection("Invalid JWT");
}
