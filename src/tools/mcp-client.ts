// MCP servers as plan tools: start each server (stdio), list its tools,
// turn their JSON Schemas into zod, and call them from the scheduler with
// its abort signal. Every failure names the server and the tool, and no
// call outlives its server: when the process exits, pending calls fail at
// once (the SDK rejects them when the transport closes).
import { basename } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { CallToolResultSchema, ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { AnyTool, ToolContext } from "../compiler/tool.js";
import { splitCommandLine } from "./command-line.js";
import { toolInputFromJsonSchema, zodFromJsonSchema } from "./json-schema.js";
import { isToolName } from "../parser/names.js";
import { identifier, weftName } from "./names.js";

export interface McpServerConfig {
  /** Namespace of the server's tools (`name.tool`); default: derived from the command. */
  name?: string;
  command: string;
  args?: string[];
  /** Added to the environment the server inherits from this process. */
  env?: Record<string, string>;
  cwd?: string;
  /** Longest wait for one call, in ms (default 60,000, as MCP clients commonly do). */
  callTimeoutMs?: number;
  /** Longest wait for the server to start and list its tools, in ms (default 60,000). */
  startTimeoutMs?: number;
  /** Receives the server's stderr. By default it is kept, and its end shown in errors. */
  onStderr?: (text: string) => void;
}

export interface McpTools {
  /** Every server's tools, named `server.tool`. */
  tools: AnyTool[];
  /** Which MCP tool each plan tool calls, per server. */
  servers: { name: string; tools: { name: string; mcpName: string }[] }[];
  /** Stops the servers. Safe to call twice. */
  close(): Promise<void>;
}

/** A server that could not be started or listed, or a bad `--mcp` spec. */
export class McpServerError extends Error {}

const DEFAULT_CALL_TIMEOUT_MS = 60_000;
// Generous: `npx -y` or `uvx` may download the server before it can answer.
const DEFAULT_START_TIMEOUT_MS = 60_000;
const STDERR_TAIL = 2000;
const MAX_PAGES = 1000;

// ## Configuration from a command line

/**
 * `--mcp "node server.mjs --flag"` or `--mcp "fs=npx some-server /tmp"`:
 * the command split as a shell would, with an optional `name=` in front.
 */
export function parseMcpSpec(spec: string): McpServerConfig {
  const named = /^\s*([A-Za-z_][A-Za-z0-9_.]*)=(?=\S)/.exec(spec);
  let words: string[];
  try {
    words = splitCommandLine(named === null ? spec : spec.slice(named[0].length));
  } catch (e) {
    throw new McpServerError(`--mcp ${JSON.stringify(spec)}: ${errorText(e)}`);
  }
  const [command, ...args] = words;
  if (command === undefined) throw new McpServerError("--mcp needs a command to start the server");
  const name = named?.[1];
  if (name !== undefined && !isToolName(name))
    throw new McpServerError(
      `--mcp ${JSON.stringify(spec)}: \`${name}\` cannot name tools (it is a keyword)`,
    );
  return { ...(name === undefined ? {} : { name }), command, args };
}

/** Runners whose first argument, not themselves, names the server. */
const LAUNCHERS = new Set(
  (
    "node nodejs deno bun python python3 py uv uvx npx pnpx bunx pnpm yarn npm pipx tsx ts-node " +
    "docker podman java ruby php go cargo dotnet sh bash env"
  ).split(" "),
);
const SUBCOMMANDS = new Set(["run", "exec", "dlx", "x", "tool", "start", "--"]);
const EXTENSIONS = /\.(m?[jt]s|c[jt]s|py|rb|jar|exe|sh|php)$/i;

/**
 * The namespace of a server started by `command args`: the script, package
 * or binary name without extension, scope, version or `mcp-server-` prefix.
 * `node ./weather.mjs` -> `weather`; `npx -y @mcp/server-filesystem /tmp` ->
 * `filesystem`; `uvx mcp-server-fetch` -> `fetch`.
 */
export function defaultNamespace(command: string, args: readonly string[] = []): string {
  let word = command;
  if (LAUNCHERS.has(basename(command).replace(/\.exe$/i, ""))) {
    const found = args.find((a) => !a.startsWith("-") && !a.includes("=") && !SUBCOMMANDS.has(a));
    if (found !== undefined) word = found;
  }
  let name = basename(word.replace(/[\\/]+$/, "").replace(/\\/g, "/"));
  name = name
    .replace(/(.)@[^@]*$/, "$1")
    .replace(/:[^:]*$/, "")
    .replace(EXTENSIONS, "");
  // `python -m mcp_server_git`: the module's last part.
  if (/^[A-Za-z_][\w.]*$/.test(name) && name.includes(".")) name = name.split(".").pop() ?? name;
  const stripped = name
    .replace(/^(mcp[-_]server[-_]|server[-_]|mcp[-_])/i, "")
    .replace(/([-_]mcp[-_]server|[-_]mcp|[-_]server)$/i, "");
  return identifier(stripped === "" ? name || "mcp" : stripped);
}

// ## One server

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

type Content = { type: string; [key: string]: unknown };

/**
 * What a plan gets from a tool result: `structuredContent` when the server
 * gives it; otherwise the content. One text item is its text, parsed when it
 * is a JSON object or list (so fields can be read); other items (images,
 * resources) are their MCP objects; several items make a list; none, null.
 */
export function resultValue(result: { structuredContent?: unknown; content?: unknown }): unknown {
  if (result.structuredContent !== undefined && result.structuredContent !== null)
    return result.structuredContent;
  const content = Array.isArray(result.content) ? (result.content as Content[]) : [];
  const items = content.map(contentValue);
  if (items.length === 0) return null;
  return items.length === 1 ? items[0] : items;
}

function contentValue(item: Content): unknown {
  if (item.type !== "text" || typeof item["text"] !== "string") return item;
  const text = item["text"];
  if (/^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** The text of an error result, for the message. */
function errorResultText(result: { content?: unknown }): string {
  const content = Array.isArray(result.content) ? (result.content as Content[]) : [];
  const text = content
    .map((c) => (c.type === "text" && typeof c["text"] === "string" ? c["text"] : `[${c.type}]`))
    .join("\n")
    .trim();
  return text === "" ? "no message" : text;
}

const ListToolsPage = z.looseObject({
  tools: z.array(
    z.looseObject({
      name: z.string(),
      title: z.string().optional(),
      description: z.string().optional(),
      inputSchema: z.unknown().optional(),
      outputSchema: z.unknown().optional(),
      annotations: z
        .looseObject({
          title: z.string().optional(),
          readOnlyHint: z.boolean().optional(),
          openWorldHint: z.boolean().optional(),
        })
        .optional(),
    }),
  ),
  nextCursor: z.string().optional(),
});
type McpToolInfo = z.infer<typeof ListToolsPage>["tools"][number];

class ServerConnection {
  readonly name: string;
  readonly #config: McpServerConfig;
  readonly #client = new Client({ name: "weft", version: "0.1.0" }, { capabilities: {} });
  readonly #transport: StdioClientTransport;
  #stderr = "";
  #exited = false;
  #closing = false;

  constructor(name: string, config: McpServerConfig) {
    this.name = name;
    this.#config = config;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    this.#transport = new StdioClientTransport({
      command: config.command,
      args: config.args ?? [],
      env: { ...env, ...config.env },
      ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
      stderr: "pipe",
    });
    this.#transport.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      config.onStderr?.(text);
      this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL);
    });
    this.#client.onclose = () => {
      this.#exited = true;
    };
    // Without a handler the SDK logs to the console; errors reach callers anyway.
    this.#client.onerror = () => {};
  }

  /** The command as typed, for messages. */
  get command(): string {
    return [this.#config.command, ...(this.#config.args ?? [])].join(" ");
  }

  /**
   * What the server last said on stderr, as a suffix for messages: the lines
   * from the first that mentions an error (a stack trace's message), else the last ones.
   */
  #stderrNote(): string {
    const lines = this.#stderr
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "");
    if (lines.length === 0) return "";
    const first = lines.findIndex((l) => /error/i.test(l));
    const shown = (first >= 0 ? lines.slice(first, first + 2) : lines.slice(-2)).map((l) =>
      l.length > 200 ? `${l.slice(0, 200)}...` : l,
    );
    return ` (server stderr: ${shown.join(" | ")})`;
  }

  async start(): Promise<McpToolInfo[]> {
    const timeout = this.#config.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const what = `MCP server \`${this.name}\` (${this.command})`;
    try {
      await this.#client.connect(this.#transport, { timeout });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT")
        throw new McpServerError(
          `${what} failed to start: command not found: ${this.#config.command}`,
        );
      if (code === "EACCES") throw new McpServerError(`${what} failed to start: permission denied`);
      throw new McpServerError(`${what} failed to start: ${this.#why(e, timeout)}`);
    }
    const tools: McpToolInfo[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      let r: z.infer<typeof ListToolsPage>;
      try {
        r = await this.#client.request(
          { method: "tools/list", params: cursor === undefined ? {} : { cursor } },
          ListToolsPage,
          { timeout },
        );
      } catch (e) {
        throw new McpServerError(`${what} could not list its tools: ${this.#why(e, timeout)}`);
      }
      tools.push(...r.tools);
      if (r.nextCursor === undefined || r.nextCursor === cursor) break;
      cursor = r.nextCursor;
    }
    return tools;
  }

  /** Why a request failed, in words. */
  #why(e: unknown, timeoutMs: number): string {
    if (e instanceof McpError && e.code === ErrorCode.RequestTimeout)
      return `no answer within ${timeoutMs} ms${this.#stderrNote()}`;
    if (this.#exited || (e instanceof McpError && e.code === ErrorCode.ConnectionClosed))
      return `the server exited${this.#stderrNote()}`;
    return `${errorText(e)}${this.#stderrNote()}`;
  }

  tool(info: McpToolInfo, weftToolName: string): AnyTool {
    const label = `MCP server \`${this.name}\`, tool \`${info.name}\``;
    const timeout = this.#config.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const annotations = info.annotations ?? {};
    const description = info.description ?? info.title ?? annotations.title;
    const { input, toOriginal } = toolInputFromJsonSchema(info.inputSchema);
    return {
      name: weftToolName,
      ...(description === undefined ? {} : { description }),
      input,
      ...(info.outputSchema === undefined ? {} : { output: zodFromJsonSchema(info.outputSchema) }),
      // Hints, not promises: they only allow merging identical calls, and
      // without them a call counts as acting on the world (never pruned).
      ...(annotations.readOnlyHint === true && annotations.openWorldHint === false
        ? { pure: true }
        : {}),
      ...(annotations.readOnlyHint === true ? {} : { effect: true }),
      run: async (args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> => {
        if (this.#exited)
          throw new Error(`${label}: the server is not running (it exited)${this.#stderrNote()}`);
        let result: z.infer<typeof CallToolResultSchema>;
        try {
          result = await this.#client.request(
            { method: "tools/call", params: { name: info.name, arguments: toOriginal(args) } },
            CallToolResultSchema,
            // A server that reports progress is still working: each report restarts the clock.
            { signal: ctx.signal, timeout, onprogress: () => {}, resetTimeoutOnProgress: true },
          );
        } catch (e) {
          if (ctx.signal.aborted) throw e;
          if (e instanceof McpError && e.code === ErrorCode.RequestTimeout)
            throw new Error(`${label}: no answer within ${timeout} ms`);
          if (this.#exited || (e instanceof McpError && e.code === ErrorCode.ConnectionClosed))
            throw new Error(`${label}: the server exited during the call${this.#stderrNote()}`);
          throw new Error(`${label}: ${errorText(e)}`);
        }
        if (result.isError === true) throw new Error(`${label}: ${errorResultText(result)}`);
        return resultValue(result);
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    try {
      await this.#client.close();
    } catch {
      // Already gone.
    }
  }
}

// ## Connecting

/**
 * Starts every server at once and lists its tools, named `server.tool`
 * (MCP tool names a plan cannot spell are rewritten: `read-file` ->
 * `read_file`). If any server fails, the others are stopped and the error
 * names the server. Call `close()` when done: it stops the processes.
 */
export async function connectMcp(servers: readonly McpServerConfig[]): Promise<McpTools> {
  const names = new Map<string, McpServerConfig>();
  for (const config of servers) {
    const name = config.name ?? defaultNamespace(config.command, config.args);
    if (!isToolName(name))
      throw new McpServerError(
        `MCP server name \`${name}\` cannot name tools: use letters, digits and _`,
      );
    if (names.has(name))
      throw new McpServerError(
        `two MCP servers are named \`${name}\`: name them with --mcp "NAME=command ..."`,
      );
    names.set(name, config);
  }
  const started = [...names].map(([name, config]) => new ServerConnection(name, config));
  const close = async (): Promise<void> => {
    await Promise.all(started.map((s) => s.close()));
  };
  const listed = await Promise.allSettled(started.map((s) => s.start()));
  const failed = listed.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) {
    await close();
    throw failed.reason instanceof Error
      ? failed.reason
      : new McpServerError(String(failed.reason));
  }
  const tools: AnyTool[] = [];
  const report: McpTools["servers"] = [];
  started.forEach((server, i) => {
    const infos = (listed[i] as PromiseFulfilledResult<McpToolInfo[]>).value;
    const taken = new Set<string>();
    const entry = { name: server.name, tools: [] as { name: string; mcpName: string }[] };
    for (const info of infos) {
      let local = weftName(info.name);
      // Two MCP names that rewrite to the same plan name keep both: `_2`, `_3`...
      for (let n = 2; taken.has(local); n++) local = `${weftName(info.name)}_${n}`;
      taken.add(local);
      const name = `${server.name}.${local}`;
      tools.push(server.tool(info, name));
      entry.tools.push({ name, mcpName: info.name });
    }
    report.push(entry);
  });
  return { tools, servers: report, close };
}

/**
 * Connects the servers, hands their tools to `use`, and stops the servers
 * when it settles: `withMcp(servers, (tools) => run(plan, { tools }))`.
 */
export async function withMcp<T>(
  servers: readonly McpServerConfig[],
  use: (tools: AnyTool[]) => Promise<T>,
): Promise<T> {
  const mcp = await connectMcp(servers);
  try {
    return await use(mcp.tools);
  } finally {
    await mcp.close();
  }
}
