// Where a command's tools come from: the flags every tool-using command
// shares (check, compile, run, ask, mcp), and opening them. The standard
// library and the MCP client are imported only when a flag asks for them.
import type { Command } from "commander";
import type { AnyTool } from "../compiler/tool.js";
import type { StdOptions } from "../tools/std/index.js";
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

function collect(value: string, previous: string[] | undefined): string[] {
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

/** Where each tool came from, for the message about a name defined twice. */
interface Source {
  label: string;
  tools: AnyTool[];
}

/**
 * Loads every tool source the flags name. Throws UsageError for a bad
 * source, an MCP server that does not start, or a tool name two sources define.
 */
export async function openTools(flags: ToolFlags, io: Io): Promise<OpenedTools> {
  const sources: Source[] = [];
  if (flags.tools !== undefined)
    sources.push({ label: `--tools ${flags.tools}`, tools: await loadTools(flags.tools, io.cwd) });
  if (flags.std === true) sources.push({ label: "--std", tools: await stdLibrary(flags, io) });
  else {
    for (const flag of ["allowNet", "allowRead", "allowWrite"] as const) {
      if (flags[flag] !== undefined) {
        const name = `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
        throw new UsageError(`${name} grants the standard library a capability: add --std`);
      }
    }
  }
  let close = async (): Promise<void> => {};
  if (flags.mcp !== undefined && flags.mcp.length > 0) {
    const mcp = await import("../tools/mcp-client.js");
    let connected: Awaited<ReturnType<typeof mcp.connectMcp>>;
    try {
      const configs = flags.mcp.map((spec) => ({ ...mcp.parseMcpSpec(spec), cwd: io.cwd }));
      connected = await mcp.connectMcp(configs);
    } catch (e) {
      if (e instanceof mcp.McpServerError) throw new UsageError(e.message);
      throw e;
    }
    close = connected.close;
    for (const server of connected.servers) {
      const names = new Set(server.tools.map((t) => t.name));
      sources.push({
        label: `--mcp server \`${server.name}\``,
        tools: connected.tools.filter((t) => names.has(t.name)),
      });
    }
  }
  try {
    return { tools: mergeSources(sources), close };
  } catch (e) {
    await close();
    throw e;
  }
}

function mergeSources(sources: Source[]): AnyTool[] {
  const seen = new Map<string, string>();
  const tools: AnyTool[] = [];
  for (const source of sources) {
    for (const tool of source.tools) {
      const first = seen.get(tool.name);
      if (first !== undefined)
        throw new UsageError(
          `tool \`${tool.name}\` is defined twice: by ${first} and by ${source.label}` +
            (source.label.startsWith("--mcp")
              ? ` (name the server with --mcp "NAME=command ...")`
              : ""),
        );
      seen.set(tool.name, source.label);
      tools.push(tool);
    }
  }
  return tools;
}

async function stdLibrary(flags: ToolFlags, io: Io): Promise<AnyTool[]> {
  const { stdTools } = await import("../tools/std/index.js");
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
  return stdTools(options);
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
