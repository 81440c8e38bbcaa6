// The function layer: is sync-customer-sales deployed where the schedule calls it, does it accept
// the secret pg_cron sends (Vault's cron_secret), and is its configuration valid as the function
// itself reports it ({"check": true}: runs nothing, records nothing, calls no one).
import { timingSafeEqual } from "node:crypto";
import { fetchFailure } from "./fetch-error.ts";
import { type Check, type DoctorContext, fail, type FunctionAnswer as Answer, ok, skip, warn } from "./check.ts";

export const FUNCTION_PATH = "/functions/v1/sync-customer-sales";
/** The function answers a check at once; longer than this is reported as unreachable. */
const FUNCTION_TIMEOUT_MS = 20_000;
/** How much of an unexpected answer a summary quotes. */
const QUOTED_BODY_MAX = 200;

/** Where the schedule calls the function: Vault project_url, else SUPABASE_URL (or the local gateway). */
function functionUrl(context: DoctorContext): string | null {
  const base = context.projectUrl ?? context.target.supabaseUrl;
  return base === null ? null : `${base.replace(/\/+$/, "")}${FUNCTION_PATH}`;
}

async function post(url: string, body: unknown, secret: string | null): Promise<Answer> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(secret === null ? {} : { "x-cron-secret": secret }) },
    body: JSON.stringify(body),
    redirect: "manual",
    signal: AbortSignal.timeout(FUNCTION_TIMEOUT_MS),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> | null = null;
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) parsed = value as Record<string, unknown>;
  } catch {
    // Not JSON: not our function's answer (a proxy's page, a platform error); `text` is quoted.
  }
  return { status: response.status, body: parsed, text };
}

function errorOf(answer: Answer): string {
  const error = answer.body?.error;
  return typeof error === "string" ? error : answer.text.slice(0, QUOTED_BODY_MAX);
}

const DEPLOY = "npx supabase functions deploy sync-customer-sales";

const reachable: Check = {
  id: "function.reachable",
  async run(context) {
    const url = functionUrl(context);
    if (url === null) {
      return skip("no URL to call: Vault project_url is missing (schedule.vault) and SUPABASE_URL is not set");
    }
    let answer: Answer;
    try {
      answer = await post(url, {}, null);
    } catch (error) {
      return fail(
        `cannot reach ${url}: ${fetchFailure(error)}`,
        context.target.kind === "local"
          ? "npm run stack:up (starts the gateway); check Vault project_url (select vault.update_secret(id, 'http://127.0.0.1:54321') from vault.secrets where name = 'project_url';)"
          : `Check Vault project_url (it must be https://<project-ref>.supabase.co) and ${DEPLOY}`,
      );
    }
    if (answer.status === 404) return fail(`${url} answers 404: the function is not deployed there`, DEPLOY);
    if (answer.status === 401 || (answer.status === 500 && answer.body !== null && "error" in answer.body)) {
      // Only the function's own answer lets the next checks go on.
      context.functionAnswers.unauthenticated = answer;
      return ok(`${url} answers (${answer.status} without the secret, as it should)`);
    }
    return fail(
      `${url} answers ${answer.status} without the secret, where the function answers 401: ${errorOf(answer)}`,
      `Check that Vault project_url is this project's URL; if it is, ${DEPLOY}`,
    );
  },
};

/** Constant-time equality of two secrets of any length. */
function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const SECRET_FIX_HOSTED =
  "Make them equal: npx supabase secrets set CRON_SECRET=<value>, and select vault.update_secret(id, '<value>') from vault.secrets where name = 'cron_secret'; (docs/deploy.md)";
const SECRET_FIX_LOCAL = "npm run stack:up (stores the stack's CRON_SECRET in Vault again), or npm start";

const secret: Check = {
  id: "function.secret",
  async run(context) {
    const url = functionUrl(context);
    const unauthenticated = context.functionAnswers.unauthenticated;
    if (url === null || unauthenticated === null) {
      return skip("skipped: the function is not reachable (function.reachable)");
    }
    if (unauthenticated.status === 500) {
      // The function fails closed before authentication when its own CRON_SECRET is unusable.
      return fail(
        `the function refuses every call: ${errorOf(unauthenticated)}`,
        "npx supabase secrets set CRON_SECRET=$(openssl rand -hex 24), and store the same value in Vault (docs/deploy.md)",
      );
    }
    const presented = context.vaultCronSecret ?? context.target.cronSecret;
    if (presented === null) {
      return skip("skipped: no secret to present (Vault cron_secret is missing and CRON_SECRET is not set)");
    }
    const from = context.vaultCronSecret !== null ? "Vault cron_secret" : "CRON_SECRET";
    const answer = await post(url, { check: true }, presented);
    context.functionAnswers.check = answer;
    const fix = context.target.kind === "local" ? SECRET_FIX_LOCAL : SECRET_FIX_HOSTED;
    if (answer.status === 401) {
      const known = context.target.cronSecret;
      const detail = known !== null && context.vaultCronSecret !== null && !sameSecret(known, context.vaultCronSecret)
        ? " (Vault cron_secret differs from the function's CRON_SECRET)"
        : "";
      return fail(`the function refused ${from} (401): pg_cron's requests are refused too${detail}`, fix);
    }
    return ok(`the function accepts ${from}`);
  },
};

const config: Check = {
  id: "function.config",
  async run(context) {
    const answer = context.functionAnswers.check;
    if (answer === null || answer.status === 401) return skip("skipped: no authenticated answer (function.secret)");
    if (answer.status === 200 && answer.body?.check === "ok") {
      context.functionSettings = answer.body;
      const { ploomesBaseUrl, lineItemsSource, requestsPerMinute } = answer.body;
      return ok(
        `configuration valid: Ploomes at ${String(ploomesBaseUrl)}, line items ${String(lineItemsSource)}, ${
          String(requestsPerMinute)
        } requests/minute`,
      );
    }
    if (answer.status === 500) {
      const hint = typeof answer.body?.hint === "string" ? ` ${answer.body.hint}` : "";
      return fail(
        `the function reports: ${errorOf(answer)}`,
        context.target.kind === "local"
          ? `Fix the variable it names in your shell or .env (or .local/functions.env) and run npm start.${hint}`
          : `npx supabase secrets set <NAME>=<value> for the variable it names (and unset a misspelled one).${hint}`,
      );
    }
    if (answer.status === 400) {
      return warn(
        "the deployed function does not know the configuration check (an older version): its configuration was not checked",
        DEPLOY,
      );
    }
    return fail(`the configuration check answered ${answer.status}: ${errorOf(answer)}`, DEPLOY);
  },
};

const WEBHOOK_PATH = "/functions/v1/ploomes-webhook";

/** The webhook receiver is optional: absent is fine, deployed but refusing every call is not. */
const webhookReceiver: Check = {
  id: "function.webhook",
  async run(context) {
    if (context.functionAnswers.unauthenticated === null) {
      return skip("skipped: the project's functions are not reachable (function.reachable)");
    }
    const base = (context.projectUrl ?? context.target.supabaseUrl ?? "").replace(/\/+$/, "");
    const url = `${base}${WEBHOOK_PATH}`;
    const answer = await post(url, {}, null);
    if (answer.status === 404) return ok(`ploomes-webhook is not deployed (optional: webhooks off)`);
    if (answer.status === 401) return ok(`${url} answers (401 without the validation key, as it should)`);
    return fail(
      `${url} answers ${answer.status} without a key, where the receiver answers 401: ${errorOf(answer)}`,
      context.target.kind === "local"
        ? "npm start writes PLOOMES_WEBHOOK_KEY for it (.local/functions.env)"
        : "npx supabase secrets set PLOOMES_WEBHOOK_KEY=$(openssl rand -hex 24), the same value registered with Ploomes (npm run webhooks -- register; docs/deploy.md)",
    );
  },
};

export const FUNCTION_CHECKS: readonly Check[] = [reachable, secret, config, webhookReceiver];
