// Local API keys and secrets, generated once per checkout into .local/stack.env (git-ignored):
// a JWT secret, legacy anon/service_role JWTs signed with it, the new-style publishable/secret
// keys, and the CRON_SECRET that pg_cron sends to the Edge Function.
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { STACK_ENV_FILE } from "./paths.ts";

export interface StackKeys {
  JWT_SECRET: string;
  ANON_KEY: string;
  SERVICE_ROLE_KEY: string;
  PUBLISHABLE_KEY: string;
  SECRET_KEY: string;
  CRON_SECRET: string;
  /** The ValidationKey Ploomes sends back with each webhook call (ploomes-webhook checks it). */
  PLOOMES_WEBHOOK_KEY: string;
}

const KEY_NAMES: readonly (keyof StackKeys)[] = [
  "JWT_SECRET",
  "ANON_KEY",
  "SERVICE_ROLE_KEY",
  "PUBLISHABLE_KEY",
  "SECRET_KEY",
  "CRON_SECRET",
  "PLOOMES_WEBHOOK_KEY",
];
const CRON_SECRET_LENGTH = 48;
const JWT_SECRET_BYTES = 32;
const NEW_KEY_BYTES = 24;
/** Local keys never expire in practice: ten years, like Supabase's local demo keys. */
const KEY_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString("base64url");
}

export function signJwt(payload: Record<string, unknown>, secret: string): string {
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = base64url(JSON.stringify(payload));
  const signature = createHmac("sha256", secret).update(`${header}.${body}`).digest("base64url");
  return `${header}.${body}.${signature}`;
}

function randomAlphanumeric(length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  // Rejection sampling keeps the distribution uniform (256 is not a multiple of 62).
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

function generateKeys(): StackKeys {
  const jwtSecret = randomBytes(JWT_SECRET_BYTES).toString("base64url");
  const iat = Math.floor(Date.now() / 1000);
  const claims = (role: string) => ({ iss: "supabase-local", role, iat, exp: iat + KEY_LIFETIME_SECONDS });
  return {
    JWT_SECRET: jwtSecret,
    ANON_KEY: signJwt(claims("anon"), jwtSecret),
    SERVICE_ROLE_KEY: signJwt(claims("service_role"), jwtSecret),
    PUBLISHABLE_KEY: `sb_publishable_${randomBytes(NEW_KEY_BYTES).toString("base64url")}`,
    SECRET_KEY: `sb_secret_${randomBytes(NEW_KEY_BYTES).toString("base64url")}`,
    CRON_SECRET: randomAlphanumeric(CRON_SECRET_LENGTH),
    PLOOMES_WEBHOOK_KEY: randomAlphanumeric(CRON_SECRET_LENGTH),
  };
}

export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith("#")) continue;
    const [, name, raw] = match;
    if (name === undefined || raw === undefined) continue;
    values[name] = raw.replace(/^(['"])(.*)\1$/, "$2");
  }
  return values;
}

/** Reads the keys; null when the stack has never been brought up in this checkout. */
export function readStackKeys(): StackKeys | null {
  if (!existsSync(STACK_ENV_FILE)) return null;
  const values = parseEnvFile(readFileSync(STACK_ENV_FILE, "utf8"));
  const missing = KEY_NAMES.filter((name) => !values[name]);
  if (missing.length > 0) {
    throw new Error(
      `${STACK_ENV_FILE} lacks ${missing.join(", ")}; delete the file and run npm run stack:up to regenerate it`,
    );
  }
  const value = (name: keyof StackKeys): string => values[name] ?? "";
  return {
    JWT_SECRET: value("JWT_SECRET"),
    ANON_KEY: value("ANON_KEY"),
    SERVICE_ROLE_KEY: value("SERVICE_ROLE_KEY"),
    PUBLISHABLE_KEY: value("PUBLISHABLE_KEY"),
    SECRET_KEY: value("SECRET_KEY"),
    CRON_SECRET: value("CRON_SECRET"),
    PLOOMES_WEBHOOK_KEY: value("PLOOMES_WEBHOOK_KEY"),
  };
}

/** Keys that depend on nothing else, so one missing can be added to an existing file alone. */
const STANDALONE_KEYS: ReadonlySet<keyof StackKeys> = new Set(["CRON_SECRET", "PLOOMES_WEBHOOK_KEY"]);

export function ensureStackKeys(): StackKeys {
  const present = existsSync(STACK_ENV_FILE) ? parseEnvFile(readFileSync(STACK_ENV_FILE, "utf8")) : {};
  const missing = KEY_NAMES.filter((name) => !present[name]);
  if (missing.length === 0) return requireStackKeys();
  // A checkout made before a key existed gets it added and keeps the others (and so its JWTs);
  // anything else missing means a damaged file, and every key is made anew.
  const keys = generateKeys();
  if (missing.every((name) => STANDALONE_KEYS.has(name))) {
    for (const name of KEY_NAMES) keys[name] = present[name] || keys[name];
  }
  mkdirSync(dirname(STACK_ENV_FILE), { recursive: true });
  const lines = [
    "# Generated by `npm run stack:up` for this checkout's local stack. Local use only; never commit.",
    ...KEY_NAMES.map((name) => `${name}=${keys[name]}`),
  ];
  writeFileSync(STACK_ENV_FILE, `${lines.join("\n")}\n`, { mode: 0o600 });
  return keys;
}

/** Reads the keys or explains how to create them. */
export function requireStackKeys(): StackKeys {
  const keys = readStackKeys();
  if (!keys) throw new Error(`${STACK_ENV_FILE} does not exist yet: run \`npm run stack:up\` first`);
  return keys;
}
