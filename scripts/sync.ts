// `npm run sync -- [--full] [--incremental] [--dry-run] [--json]`: one invocation of the function
// through the local gateway (the stack must be up: npm start or npm run stack:up).
import { parseArgs } from "node:util";
import { callFunction, withProgress } from "./lib/gateway-sync.ts";
import { prepareLocalFunction } from "./lib/local-function.ts";
import { formatSummary } from "./lib/summary.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      full: { type: "boolean" },
      incremental: { type: "boolean" },
      "dry-run": { type: "boolean" },
      json: { type: "boolean" },
    },
    strict: true,
  });
  if (values.full && values.incremental) throw new Error("--full and --incremental exclude each other");
  const mode = values.full ? "full" : values.incremental ? "incremental" : "auto";
  const log = values.json ? () => undefined : (line: string) => process.stdout.write(`${line}\n`);
  await prepareLocalFunction(log);
  const call =
    await (values.json
      ? callFunction({ mode, dryRun: values["dry-run"] ?? false, trigger: "cli" })
      : withProgress(callFunction({ mode, dryRun: values["dry-run"] ?? false, trigger: "cli" }), log));
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ httpStatus: call.status, ...call.body }, null, 2)}\n`
      : `${formatSummary(call.body)}\n`,
  );
  return call.status === 200 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm run sync: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
