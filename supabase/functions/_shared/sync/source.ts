// The identity of the Ploomes data a mirror came from: the API's base URL plus a fingerprint of
// the User-Key (a key belongs to one account). A different source means the cursor and the
// mirror describe other data, so the SQL API forces a full pass, whose sweep drops the foreign
// deals. The fingerprint is a truncated SHA-256: enough to tell keys apart, useless to recover one.

/** Hex digits of the key's SHA-256 kept in the fingerprint (64 bits). */
const KEY_FINGERPRINT_HEX_DIGITS = 16;

export async function sourceIdentity(baseUrl: string, apiKey: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(apiKey));
  const hex = Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${baseUrl.replace(/\/+$/, "")} key:sha256:${hex.slice(0, KEY_FINGERPRINT_HEX_DIGITS)}`;
}
