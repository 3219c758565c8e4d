// Where a command's tools come from: the flags every tool-using command
// shares (check, compile, run, ask, mcp), and opening them.
import type { Command } from "commander";
import type { AnyTool } from "../compiler/tool.js";
import type { Io } from "./io.js";
import { loadTools } from "./load-tools.js";

export interface ToolFlags {
  tools?: string;
}

/** Adds the tool-source options to a command. */
export function addToolFlags(command: Command): Command {
  return command.option(
    "-t, --tools <module>",
    "JS/TS module whose default export is an array of tools",
  );
}

export interface OpenedTools {
  tools: AnyTool[];
  /** Stops whatever the tools hold open (MCP server processes...). Safe to call twice. */
  close(): Promise<void>;
}

/** Loads every tool source the flags name. Throws UsageError for a bad source. */
export async function openTools(flags: ToolFlags, io: Io): Promise<OpenedTools> {
  const tools = flags.tools === undefined ? [] : await loadTools(flags.tools, io.cwd);
  return { tools, close: async () => {} };
}
