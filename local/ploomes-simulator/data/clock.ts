// The simulated clock that stamps admin mutations (LastUpdateDate, deletion times). Deals, orders
// and quotes share one clock, so every stamp is strictly later than every date in the whole data
// set — an incremental sync reading any of those sets sees each change after its cursor.

import {
  addTicks,
  compareInstants,
  formatInstant,
  type Instant,
  instantFromMs,
  instantOf,
  TICKS_PER_MS,
  TICKS_PER_SECOND,
} from "../instant.ts";
import type { EntityType, Row } from "./model.ts";
import { type Random, streamFor } from "./prng.ts";
import { randomFractionTicks } from "./values.ts";

const MAX_STAMP_STEP_SECONDS = 5;

export class MutationClock {
  /** Latest date in the data; every stamp is strictly later. */
  private last: Instant;
  private readonly random: Random;

  /**
   * @param wallClockMs Ploomes stamps LastUpdateDate with its real clock, so stamps are never
   * earlier than this clock (a sync's cursor is wall-clock time). Null keeps the purely simulated
   * clock, which only steps forward from the latest date in the data.
   */
  constructor(epoch: Instant, seed: number, private readonly wallClockMs: (() => number) | null) {
    this.last = epoch;
    this.random = streamFor(seed, "mutations");
  }

  /** The next mutation time: strictly after every date in the data, with a Ploomes-like fraction. */
  next(): string {
    const step = this.random.int(1, MAX_STAMP_STEP_SECONDS) * TICKS_PER_SECOND + randomFractionTicks(this.random);
    const stepped = addTicks(this.last, step);
    const wall = this.wallClockMs === null
      ? null
      : addTicks(instantFromMs(this.wallClockMs()), randomFractionTicks(this.random) % TICKS_PER_MS);
    this.last = wall !== null && compareInstants(wall, stepped) > 0 ? wall : stepped;
    return formatInstant(this.last);
  }

  /** Explicit dates written by the admin API move the clock so later stamps stay the latest. */
  observe(type: EntityType, row: Row): void {
    for (const property of type.properties) {
      if (property.type !== "datetime") continue;
      const value = row[property.name];
      if (typeof value === "string" && compareInstants(instantOf(value), this.last) > 0) this.last = instantOf(value);
    }
  }
}
