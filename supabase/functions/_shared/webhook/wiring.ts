// The receiver's real dependencies: the queue over a supabase-js client (../db/connect.ts) and the JSON-line logger. Kept apart from queue.ts so
// that the unit tests never load supabase-js.
import type { DatabaseAccess } from "../config/config.ts";
import { connectDatabase } from "../db/connect.ts";
import { createEnqueue, type RpcCall } from "./queue.ts";
import type { Enqueue, Logger } from "./receiver.ts";

function connect(database: DatabaseAccess): RpcCall {
  const client = connectDatabase(database);
  return (fn, args) => client.rpc(fn, args);
}

/** `webhook_enqueue` over supabase-js `.rpc()`. */
export const createDatabaseEnqueue = (): Enqueue => createEnqueue(connect);

/** One JSON line per event: the Edge Runtime's log viewer indexes them. */
export const jsonLineLogger: Logger = (event) =>
  console.log(JSON.stringify({ at: new Date().toISOString(), ...event }));
