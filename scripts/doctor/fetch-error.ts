// Node's fetch reports every network failure as "fetch failed"; the reason (ECONNREFUSED, a DNS
// miss, a timeout) is in its cause, and that is what a person needs to read.
export function fetchFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return `no answer in time (${error.message})`;
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    return typeof code === "string" && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message;
  }
  return error.message;
}
