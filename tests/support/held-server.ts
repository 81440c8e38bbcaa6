// A local HTTP server for pg_net tests: it records when each request arrives (by path) and answers
// it only when the test releases it, so a test decides exactly how long a request stays in flight
// and can compare send times with what pg_net records.
import { createServer, type ServerResponse } from "node:http";
import { waitFor } from "./stack.ts";

export interface HeldServer {
  url: string;
  /** Paths in arrival order. */
  arrivals(): string[];
  /** When `path` arrived (ms since the epoch), or undefined while it has not. */
  arrivedAt(path: string): number | undefined;
  /** Waits until at least `count` requests have arrived; returns the paths in arrival order. */
  waitForArrivals(count: number, timeoutMs: number): Promise<string[]>;
  /** Answers `path` with 200 and returns when it did; an error if it has not arrived. */
  release(path: string): number;
  /** Answers everything still held, then closes. */
  stop(): Promise<void>;
}

export async function startHeldServer(): Promise<HeldServer> {
  const arrived = new Map<string, number>();
  const held = new Map<string, ServerResponse>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    arrived.set(path, Date.now());
    held.set(path, res);
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the held server has no TCP address");

  const answer = (path: string, res: ServerResponse): number => {
    held.delete(path);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ path }));
    return Date.now();
  };

  return {
    url: `http://127.0.0.1:${address.port}`,
    arrivals: () => [...arrived.keys()],
    arrivedAt: (path) => arrived.get(path),
    async waitForArrivals(count, timeoutMs) {
      try {
        return await waitFor(
          `${count} request(s) at the held server`,
          timeoutMs,
          async () => (arrived.size >= count ? [...arrived.keys()] : undefined),
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; arrived: ${[...arrived.keys()].join(", ") || "none"}`);
      }
    },
    release(path) {
      const res = held.get(path);
      if (!res) {
        throw new Error(
          `cannot release ${path}: it has not arrived (arrived: ${[...arrived.keys()].join(", ") || "none"})`,
        );
      }
      return answer(path, res);
    },
    async stop() {
      for (const [path, res] of held) answer(path, res);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    },
  };
}
