// Small HTTP helpers shared by the API and admin handlers: reading a bounded body, writing an
// answer, and the error bodies in the formats the settings allow.

import type { IncomingMessage, ServerResponse } from "node:http";
import { AdminError } from "./errors.ts";

/** Ploomes' documented payload limit (10 MB [doc]) doubles as the admin body limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const JSON_CONTENT_TYPE = "application/json; odata.metadata=minimal; charset=utf-8";

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new AdminError(400, `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Parses an admin JSON body; an empty body is `{}`. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AdminError(400, `the body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return { status, headers: { "content-type": JSON_CONTENT_TYPE, ...headers }, body: JSON.stringify(value) };
}

export type ErrorFormat = "json" | "html" | "text" | "empty";

/** An error answer in one of the formats the simulator can imitate. */
export function errorAnswer(
  status: number,
  message: string,
  format: ErrorFormat,
  headers: Record<string, string> = {},
): Answer {
  switch (format) {
    case "json":
      return json(status, { error: { code: "", message } }, headers);
    case "text":
      return { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers }, body: message };
    case "empty":
      return { status, headers, body: "" };
    case "html":
      return {
        status,
        headers: { "content-type": "text/html; charset=utf-8", ...headers },
        body: `<!DOCTYPE html>\n<html><head><title>${status}</title></head><body><h1>${
          escapeHtml(message)
        }</h1></body></html>\n`,
      };
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function writeAnswer(res: ServerResponse, answer: Answer): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(answer.status, { ...answer.headers, "content-length": String(Buffer.byteLength(answer.body)) });
  res.end(answer.body);
}
