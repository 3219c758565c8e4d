// The first line of each role's system prompt. A scripted test server (and
// the agent bench) tells the requests apart by it, so it is fixed here.
import type { LlmRole } from "./types.js";

export const ROLE_LINE: Record<LlmRole, string> = {
  planner:
    "You are the planner of a Weft agent: you write a plan of tool calls in the Weft plan language.",
  repair: "You are the planner of a Weft agent: you correct a plan of tool calls that has errors.",
  solver: "You are the solver of a Weft agent: you answer the question from the plan's results.",
  replan:
    "You are the planner of a Weft agent: the last plan did not answer the question; you write a new plan.",
  react: "You are a helpful assistant that answers questions with the tools provided.",
  fc: "You are a helpful assistant that answers questions with the tools provided; call independent tools in parallel.",
};

/** The role of a request, from its first system message (undefined when none matches). */
export function roleOf(
  messages: readonly { role: string; content?: unknown }[],
): LlmRole | undefined {
  const system = messages.find((m) => m.role === "system");
  const text = typeof system?.content === "string" ? system.content : "";
  for (const [role, line] of Object.entries(ROLE_LINE) as [LlmRole, string][])
    if (text.startsWith(line)) return role;
  return undefined;
}
