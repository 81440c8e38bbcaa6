// `npm run stack:up | stack:down | stack:status | stack:reset` — the Docker-free local Supabase.
import { printStatus, stackDown, stackReset, stackUp } from "./stack.ts";

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case "up":
      await stackUp();
      await printStatus();
      return;
    case "down":
      await stackDown();
      return;
    case "status":
      await printStatus();
      return;
    case "reset":
      await stackReset();
      await printStatus();
      return;
    default:
      throw new Error(`unknown command ${JSON.stringify(command)}; use up, down, status or reset`);
  }
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`[stack] ${(error as Error).message}\n`);
  process.exit(1);
});
