// ## Every tool source in one call
// The API's counterpart of the CLI's tool flags: your own tools, MCP servers
// and the standard library, merged into one list with every name checked
// for a clash, and one `close()` for whatever they hold open.
//   const box = await openToolbox({ tools, mcp: ["node server.mjs"], std: { allowNet: ["api.x.com"] } });
//   try { await run(plan, { tools: box.tools }) } finally { await box.close() }
// The MCP client and the standard library load only when asked for.
import type { AnyTool } from "../compiler/tool.js";
import type { McpServerConfig } from "./mcp-client.js";
import type { StdOptions } from "./std/index.js";

export interface ToolboxOptions {
  tools?: Iterable<AnyTool>;
  /** MCP servers over stdio: a command line (`"[name=]command args"`) or a config. */
  mcp?: readonly (string | McpServerConfig)[];
  /** Working directory of the MCP servers given as command lines (default: this process's). */
  cwd?: string;
  /** The standard library: `true` for its defaults (every capability denied), or its options. */
  std?: boolean | StdOptions;
  /** How each source is named when two of them define the same tool (the CLI names its flags). */
  labels?: { tools?: string; std?: string; mcp?: (server: string) => string };
}

export interface Toolbox {
  tools: AnyTool[];
  /** Stops the MCP servers. Safe to call twice. */
  close(): Promise<void>;
}

/** A source that cannot be opened, or a tool name that two sources define. */
export class ToolboxError extends Error {}

interface Source {
  label: string;
  tools: AnyTool[];
}

/** Opens every source. On any failure, what was started is stopped again before the error. */
export async function openToolbox(options: ToolboxOptions): Promise<Toolbox> {
  const labels = options.labels ?? {};
  const sources: Source[] = [];
  if (options.tools !== undefined)
    sources.push({ label: labels.tools ?? "the `tools` option", tools: [...options.tools] });
  if (options.std !== undefined && options.std !== false) {
    const { stdTools } = await import("./std/index.js");
    sources.push({
      label: labels.std ?? "the standard library",
      tools: stdTools(options.std === true ? {} : options.std),
    });
  }
  let close = async (): Promise<void> => {};
  if (options.mcp !== undefined && options.mcp.length > 0) {
    const mcp = await import("./mcp-client.js");
    let connected: Awaited<ReturnType<typeof mcp.connectMcp>>;
    try {
      connected = await mcp.connectMcp(
        options.mcp.map((spec) => (typeof spec === "string" ? mcp.parseMcpSpec(spec) : spec)),
      );
    } catch (e) {
      throw new ToolboxError(e instanceof Error ? e.message : String(e));
    }
    close = connected.close;
    for (const server of connected.servers) {
      const names = new Set(server.tools.map((t) => t.name));
      sources.push({
        label: labels.mcp?.(server.name) ?? `MCP server \`${server.name}\``,
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
  const seen = new Map<string, Source>();
  const tools: AnyTool[] = [];
  for (const source of sources) {
    for (const tool of source.tools) {
      const first = seen.get(tool.name);
      if (first !== undefined)
        throw new ToolboxError(
          `tool \`${tool.name}\` is defined twice: by ${first.label} and by ${source.label}`,
        );
      seen.set(tool.name, source);
      tools.push(tool);
    }
  }
  return tools;
}
