// Constant-time comparison of a presented secret with the configured one. Both are hashed first,
// so the comparison takes the same time whatever their lengths, and the loop never exits early.

const encoder = new TextEncoder();

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

export async function secretsMatch(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256(presented), sha256(expected)]);
  let difference = 0;
  for (let i = 0; i < a.length; i += 1) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

/** The secret a caller presented: `x-cron-secret`, else `Authorization: Bearer …`. */
export function presentedSecret(headers: Headers): string | null {
  const header = headers.get("x-cron-secret");
  if (header !== null && header !== "") return header;
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.get("authorization") ?? "")?.[1]?.trim();
  return bearer ? bearer : null;
}
