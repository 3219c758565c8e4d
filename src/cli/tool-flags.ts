// Where a command's tools come from: the flags every tool-using command
// shares (check, compile, run, ask, mcp), and opening them. The standard
// library and the MCP client are imported only when a flag asks for them.
import type { Command } from "commander";
import type { AnyTool } from "../compiler/tool.js";
import type { StdOptions } from "../tools/std/index.js";
import { openToolbox, ToolboxError } from "../tools/toolbox.js";
import { UsageError, type Io } from "./io.js";
import { loadTools } from "./load-tools.js";

export interface ToolFlags {
  tools?: string;
  /** MCP server command lines, `[name=]command args`. */
  mcp?: string[];
  std?: boolean;
  allowNet?: string[];
  allowRead?: string[];
  allowWrite?: string[];
  /** The model of `llm.complete` (from `weft ask`'s own flags, or --model here). */
  model?: string;
  baseUrl?: string;
  apiKey?: string;
}

export interface ToolFlagOptions {
  /**
   * Add --model and --base-url for the standard library's `llm.complete`
   * (commands that define their own, like `weft ask`, leave this off).
   */
  llm?: boolean;
}

/** A repeatable option's values, in the order given (commander's option parser). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function hosts(value: string, previous: string[] | undefined): string[] {
  const list = value
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h !== "");
  return [...(previous ?? []), ...list];
}

/** Adds the tool-source options to a command. */
export function addToolFlags(command: Command, options: ToolFlagOptions = {}): Command {
  command
    .option("-t, --tools <module>", "JS/TS module whose default export is an array of tools")
    .option(
      "--mcp <command>",
      'an MCP server to start (stdio) whose tools become `name.tool`; "name=command" sets the name (repeatable)',
      collect,
    )
    .option("--std", "the standard library: math, text, json, http, file, llm, time")
    .option(
      "--allow-net <hosts>",
      "hosts the standard library's http.* may reach, comma-separated (repeatable)",
      hosts,
    )
    .option("--allow-read <dir>", "a directory file.read may read under (repeatable)", collect)
    .option("--allow-write <dir>", "a directory file.write may write under (repeatable)", collect);
  if (options.llm === true) {
    command
      .option(
        "--model <name>",
        "the model of the standard library's llm.complete (default: $WEFT_MODEL, else $OPENAI_MODEL)",
      )
      .option(
        "--base-url <url>",
        "OpenAI-compatible endpoint of llm.complete (default: $OPENAI_BASE_URL)",
      );
  }
  return command;
}

export interface OpenedTools {
  tools: AnyTool[];
  /** Stops whatever the tools hold open (MCP server processes...). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Loads every tool source the flags name. Throws UsageError for a bad
 * source, an MCP server that does not start, or a tool name two sources define.
 */
export async function openTools(flags: ToolFlags, io: Io): Promise<OpenedTools> {
  if (flags.std !== true) {
    for (const flag of ["allowNet", "allowRead", "allowWrite"] as const) {
      if (flags[flag] !== undefined) {
        const name = `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
        throw new UsageError(`${name} grants the standard library a capability: add --std`);
      }
    }
  }
  const own = flags.tools === undefined ? undefined : await loadTools(flags.tools, io.cwd);
  try {
    return await openToolbox({
      ...(own === undefined ? {} : { tools: own }),
      ...(flags.std === true ? { std: stdOptions(flags, io) } : {}),
      ...(flags.mcp === undefined ? {} : { mcp: flags.mcp, cwd: io.cwd }),
      labels: {
        tools: `--tools ${flags.tools ?? ""}`,
        std: "--std",
        mcp: (server) =>
          `--mcp server \`${server}\` (name the server with --mcp "NAME=command ...")`,
      },
    });
  } catch (e) {
    if (e instanceof ToolboxError) throw new UsageError(e.message);
    throw e;
  }
}

function stdOptions(flags: ToolFlags, io: Io): StdOptions {
  const model = flags.model ?? process.env["WEFT_MODEL"] ?? process.env["OPENAI_MODEL"];
  const baseURL = flags.baseUrl ?? process.env["OPENAI_BASE_URL"];
  const apiKey = flags.apiKey ?? process.env["OPENAI_API_KEY"];
  const options: StdOptions = {
    cwd: io.cwd,
    ...(flags.allowNet === undefined ? {} : { allowNet: flags.allowNet }),
    ...(flags.allowRead === undefined ? {} : { allowRead: flags.allowRead }),
    ...(flags.allowWrite === undefined ? {} : { allowWrite: flags.allowWrite }),
    ...(model === undefined
      ? {}
      : {
          llm: {
            model,
            ...(baseURL === undefined ? {} : { baseURL }),
            ...(apiKey === undefined ? {} : { apiKey }),
          },
        }),
  };
  return options;
}

/**
 * Whether the flags name any tool source (without one, `check` cannot check
 * tool names). A grant counts too, so that openTools refuses one given without
 * --std instead of the command ignoring it.
 */
export function hasToolSource(flags: ToolFlags): boolean {
  return (
    flags.tools !== undefined ||
    flags.std === true ||
    (flags.mcp ?? []).length > 0 ||
    flags.allowNet !== undefined ||
    flags.allowRead !== undefined ||
    flags.allowWrite !== undefined
  );
}
