// What may name a tool: dotted parts that are identifiers and not keywords.
// Everything that makes tool names from elsewhere (MCP servers, imported
// plans, tools modules) asks here, so the rule lives with the lexer's.
import { keywordTokens } from "./tokens.js";

/** The keywords of the language: they cannot name a tool or a part of one. */
export const KEYWORDS: ReadonlySet<string> = new Set(
  keywordTokens.map((t) => (t.PATTERN as RegExp).source),
);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Whether a plan can call a tool by this name (`wiki.search`, not `web.return` or `a-b`). */
export function isToolName(name: string): boolean {
  return NAME.test(name) && name.split(".").every((part) => !KEYWORDS.has(part));
}
