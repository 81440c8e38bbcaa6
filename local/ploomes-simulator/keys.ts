// User-Keys and the accounts they belong to. In Ploomes a key belongs to a user and the rate
// limit to the account [doc], so several keys may map to one account and share its budget.
// The default key is derived from the seed at run time: a long uppercase hex string like real
// keys (about 128 characters [obs]), never written into any file.

import { createHash } from "node:crypto";

export interface KeySpec {
  readonly key: string;
  readonly account: string;
}

export const DEFAULT_ACCOUNT = "simulated-account";
const FIRST_ACCOUNT_ID = 40_001;

/** The key a simulator started with `seed` accepts by default: SHA-512 of a label, in uppercase hex. */
export function deriveApiKey(seed: number): string {
  return createHash("sha512").update(`ploomes-simulator:user-key:${seed}`).digest("hex").toUpperCase();
}

export class KeyRegistry {
  private readonly accountByKey = new Map<string, string>();
  private readonly accountIds = new Map<string, number>();

  constructor(private readonly initial: readonly KeySpec[]) {
    this.reset();
  }

  add(spec: KeySpec): void {
    if (spec.key.trim() === "" || spec.account.trim() === "") {
      throw new Error("a key and its account must not be empty");
    }
    this.accountByKey.set(spec.key, spec.account);
    if (!this.accountIds.has(spec.account)) this.accountIds.set(spec.account, FIRST_ACCOUNT_ID + this.accountIds.size);
  }

  accountOf(key: string | undefined): string | undefined {
    return key === undefined ? undefined : this.accountByKey.get(key);
  }

  /** A stable numeric Id per account, for `GET /Account`. */
  accountId(account: string): number {
    const id = this.accountIds.get(account);
    if (id === undefined) throw new Error(`unknown account ${JSON.stringify(account)}`);
    return id;
  }

  list(): KeySpec[] {
    return [...this.accountByKey].map(([key, account]) => ({ key, account }));
  }

  reset(): void {
    this.accountByKey.clear();
    this.accountIds.clear();
    for (const spec of this.initial) this.add(spec);
  }
}
