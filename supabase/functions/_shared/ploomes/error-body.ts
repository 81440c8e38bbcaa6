// How a response body appears in an error message. An error body is summarized in one line
// (the server's own message when it has one, an HTML page's title); a successful body is only
// described, never quoted, because a Deals page carries customer names and documents.

import { isRecord, parseJson } from "./json.ts";

/** How much of a response body an error keeps (it may be a whole HTML page). */
export const BODY_SNIPPET_MAX = 500;
/** How much of the server's own message goes into the one-line error message. */
export const SUMMARY_MAX = 200;

/** The start of an HTML document. */
const HTML_START = /^<(!doctype\s+html|html|head|body)\b/i;
const HTML_TITLE = /<title[^>]*>([\s\S]*?)<\/title>/i;

/**
 * A successful answer's body described without its content: a Deals page carries customer names
 * and documents, which must not reach run errors or logs. HTML (a proxy's page) shows its title.
 */
export function describeSuccessBody(body: string): string {
  const trimmed = body.trim();
  if (trimmed === "") return "(empty)";
  // Only a body that IS a page (it starts like one) shows its <title>; the rest of any body is
  // never quoted, and JSON that merely contains "<html" stays JSON.
  if (HTML_START.test(trimmed)) {
    const title = HTML_TITLE.exec(trimmed.slice(0, BODY_SNIPPET_MAX))?.[1];
    return title === undefined ? "an HTML page without a title" : `HTML page: ${collapse(title).slice(0, SUMMARY_MAX)}`;
  }
  return `${body.length} characters starting with ${JSON.stringify(trimmed.slice(0, 1))}`;
}

/** A one-line summary of an error body and whether it is HTML. */
export function summarizeErrorBody(body: string): { text: string; isHtml: boolean } {
  const trimmed = body.trim();
  if (trimmed === "") return { text: "(empty body)", isHtml: false };
  if (looksLikeHtml(trimmed)) {
    const title = HTML_TITLE.exec(trimmed)?.[1];
    const text = collapse(title ?? trimmed.replace(/<[^>]*>/g, " "));
    return { text: `HTML page: ${text}`.slice(0, SUMMARY_MAX), isHtml: true };
  }
  const parsed = parseJson(trimmed);
  const fromJson = parsed.ok ? messageFromJson(parsed.value) : null;
  return { text: collapse(fromJson ?? trimmed).slice(0, SUMMARY_MAX), isHtml: false };
}

/** An error body is read as HTML also when a page follows some preamble (a proxy's banner). */
function looksLikeHtml(text: string): boolean {
  return HTML_START.test(text) || /<html[\s>]/i.test(text.slice(0, BODY_SNIPPET_MAX));
}

/** Error-body shapes seen in the wild: OData `error.message`, ASP.NET `Message`, Ploomes `value`. */
function messageFromJson(json: unknown): string | null {
  if (typeof json === "string") return json;
  if (!isRecord(json)) return null;
  const error = json["error"];
  if (isRecord(error) && typeof error["message"] === "string") return error["message"];
  if (typeof error === "string") return error;
  for (const key of ["Message", "message", "value"]) {
    const candidate = json[key];
    if (typeof candidate === "string") return candidate;
  }
  return null;
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
