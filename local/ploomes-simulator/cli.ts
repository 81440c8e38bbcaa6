// `npm run simulator -- [--port 54340] [--seed N] [--contacts N] [--deals N] [--products N]
// [--rpm 120] [--latency-ms N] [--api-key KEY] [--host H] [--line-items-on WHERE]`: starts the simulator, prints the
// address and the User-Key it accepts (as shell-ready lines), and stops cleanly on Ctrl-C.

import { parseArgs } from "node:util";
import { startSimulator } from "./index.ts";
import { DEFAULT_SETTINGS, LINE_ITEMS_ON_VALUES, type LineItemsOn } from "./settings.ts";
import { DEFAULT_DATA } from "./state.ts";

const DEFAULT_PORT = 54340;

const USAGE = `usage: npm run simulator -- [--port ${DEFAULT_PORT}] [--host 127.0.0.1] [--seed ${DEFAULT_DATA.seed}]
       [--contacts ${DEFAULT_DATA.contacts}] [--products ${DEFAULT_DATA.products}] [--deals ${DEFAULT_DATA.deals}]
       [--rpm ${DEFAULT_SETTINGS.rateLimitPerMinute}] [--latency-ms ${DEFAULT_SETTINGS.latencyMs}] [--api-key KEY] [--epoch ISO-8601]
       [--line-items-on ${LINE_ITEMS_ON_VALUES.join("|")}]   (default ${DEFAULT_SETTINGS.lineItemsOn})`;

function lineItemsOn(value: string | undefined): LineItemsOn | undefined {
  if (value === undefined) return undefined;
  const known = LINE_ITEMS_ON_VALUES.find((v) => v === value);
  if (known === undefined) {
    throw new Error(`--line-items-on must be one of ${LINE_ITEMS_ON_VALUES.join(", ")}, got '${value}'`);
  }
  return known;
}

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a non-negative integer, got '${value}'`);
  return Number(value);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      seed: { type: "string" },
      contacts: { type: "string" },
      products: { type: "string" },
      deals: { type: "string" },
      rpm: { type: "string" },
      "latency-ms": { type: "string" },
      "api-key": { type: "string" },
      epoch: { type: "string" },
      "line-items-on": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const seed = integer("seed", values.seed);
  const contacts = integer("contacts", values.contacts);
  const products = integer("products", values.products);
  const deals = integer("deals", values.deals);
  const rpm = integer("rpm", values.rpm);
  const latencyMs = integer("latency-ms", values["latency-ms"]);
  const linesOn = lineItemsOn(values["line-items-on"]);
  const sim = await startSimulator({
    port: integer("port", values.port) ?? DEFAULT_PORT,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(seed === undefined ? {} : { seed }),
    ...(contacts === undefined ? {} : { contacts }),
    ...(products === undefined ? {} : { products }),
    ...(deals === undefined ? {} : { deals }),
    ...(rpm === undefined ? {} : { rpm }),
    ...(latencyMs === undefined ? {} : { latencyMs }),
    ...(values["api-key"] === undefined ? {} : { apiKey: values["api-key"] }),
    ...(values.epoch === undefined ? {} : { epoch: values.epoch }),
    ...(linesOn === undefined ? {} : { settings: { lineItemsOn: linesOn } }),
  });
  const counts = sim.counts();
  console.log(`Ploomes simulator listening on ${sim.url} (admin API: ${sim.url}/__sim)`);
  console.log(
    `data: ${counts.contacts} contacts, ${counts.products} products, ${counts.deals} deals, ` +
      `${counts.orders} orders, ${counts.quotes} quotes (generated in ${Math.round(sim.generationMs)} ms); ` +
      `rate limit ${sim.settings().rateLimitPerMinute}/min per account; line items on ${sim.settings().lineItemsOn}`,
  );
  console.log(`PLOOMES_BASE_URL=${sim.url}`);
  console.log(`PLOOMES_API_KEY=${sim.apiKey}`);

  const shutdown = (signal: string) => {
    console.log(`${signal}: stopping the simulator`);
    sim.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("could not stop the simulator cleanly:", error);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(`ploomes-simulator: ${error instanceof Error ? error.message : String(error)}`);
  console.error(USAGE);
  process.exit(1);
});
