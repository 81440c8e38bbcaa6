// Requests parked by a `hold` fault. Each waits until the test releases it (POST
// /__sim/faults/release, sim.releaseHeld()) or until its bound elapses, and is then processed
// normally. A test can thus act while a request is in flight — change data between the page being
// asked for and being answered, cancel a run, look at a lock — at a moment it picks, instead of
// racing a timer. The bound is real time (not the injectable sleep): it only exists so a test that
// forgets to release cannot hang forever.

export type HoldOutcome = "released" | "timeout" | "clientGone";

export class HoldGate {
  /** One finisher per waiting request; calling it ends that hold with the outcome. */
  private readonly waiting = new Set<(outcome: HoldOutcome) => void>();

  /**
   * Waits until released, `maxMs` elapses, or `clientGone` aborts (the client closed the
   * connection, e.g. its own timeout fired: the request then stops counting as held).
   */
  hold(maxMs: number, clientGone: AbortSignal): Promise<HoldOutcome> {
    return new Promise((resolve) => {
      const finish = (outcome: HoldOutcome): void => {
        if (!this.waiting.delete(finish)) return; // already ended another way
        clearTimeout(timer);
        clientGone.removeEventListener("abort", onAbort);
        resolve(outcome);
      };
      const onAbort = () => finish("clientGone");
      const timer = setTimeout(() => finish("timeout"), maxMs);
      // A held request must not keep a process alive that has nothing else to do.
      timer.unref();
      this.waiting.add(finish);
      if (clientGone.aborted) finish("clientGone");
      else clientGone.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Lets every held request go on; returns how many there were. */
  releaseAll(): number {
    const finishers = [...this.waiting];
    for (const finish of finishers) finish("released");
    return finishers.length;
  }

  count(): number {
    return this.waiting.size;
  }
}
