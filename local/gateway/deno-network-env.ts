// Deno's own network settings, given to every Deno process the local stack and `npm test` start.
// Locally a function's `npm:` imports are fetched from the npm registry when its first worker
// boots (the hosted platform bundles them at deploy time), so the worker needs the network
// settings of the machine it runs on. A machine that reaches the registry through a
// TLS-inspecting proxy trusts the proxy's CA only in its system store, which Deno ignores by
// default (it then fails with "invalid peer certificate: UnknownIssuer"): Deno's trust store is
// Mozilla's plus the system's unless the caller chose one. These variables configure Deno, not
// the function, which reads only its own secrets and the platform's variables.

/** Deno's trust-store setting, and its default here: Mozilla's roots plus the system's. */
const TRUST_STORE_VARIABLE = "DENO_TLS_CA_STORE";
const DEFAULT_TRUST_STORE = "mozilla,system";

/** Passed on as they are when set: Deno's extra CA file, the trust store, the proxies. */
const PASSED_VARIABLES = [
  "DENO_CERT",
  TRUST_STORE_VARIABLE,
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "NO_PROXY",
  "no_proxy",
] as const;

export function denoNetworkEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const passed: Record<string, string> = { [TRUST_STORE_VARIABLE]: DEFAULT_TRUST_STORE };
  for (const name of PASSED_VARIABLES) {
    const value = env[name];
    if (value) passed[name] = value;
  }
  return passed;
}
