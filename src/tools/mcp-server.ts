// Weft as an MCP server: any agent that speaks MCP hands over a whole plan
// and gets every call run in parallel in one round trip. Three tools:
// run_plan, check_plan and describe_tools. The descriptions are the only
// manual a calling model gets, so they teach the language in a few lines.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult, ServerNotification } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { checkSource, compile } from "../compiler/compile.js";
import { toolSignature } from "../compiler/signature.js";
import type { AnyTool } from "../compiler/tool.js";
import { hasErrors, type Diagnostic } from "../diagnostics/diagnostic.js";
import { renderDiagnostics, summarize } from "../diagnostics/render.js";
import { runGraph } from "../runtime/run.js";
import type { RunError, RunEvent } from "../runtime/types.js";
import { summarizeTrace } from "./trace-summary.js";

/** The language in a few lines; the example compiles against `search`, `wiki.page`, `summarize`. */
export const LANGUAGE_PRIMER = `A Weft plan is a short program of tool calls, one statement per line:
  input $city: string = "Paris"                     # a plan input, set with \`inputs\`
  $hits = search("population of $city", limit: 3)   # call a tool, bind its result; "$x" interpolates
  $page = wiki.page($hits[0].title)                 # use results: $x, $x.field, $x[0]
  $pages = each $h in $hits: wiki.page($h.title)    # a parallel map over a list
  $short = summarize(text: "\${page.title}: \${page.text}", words: 20)  # named arguments; \${x.f} in strings
  return {city: $city, pages: $pages, short: $short}   # the result (lists [..], objects {..})
Every call starts the moment the values it needs exist: independent calls run in parallel, so write the whole plan at once. # starts a comment.`;

const RUN_DESCRIPTION = `Runs a Weft plan and returns its result, with a trace summary (calls, makespan, critical path). If the plan has errors, nothing runs and they come back with line:column. Call describe_tools first for the tools a plan can call.

${LANGUAGE_PRIMER}`;

const CHECK_DESCRIPTION = `Checks a Weft plan without running anything: syntax, tool names, argument names and types. Returns "ok" or the problems with line:column and a hint. The language is described with run_plan.`;

const DESCRIBE_DESCRIPTION =
  "Lists the tools a Weft plan can call, one signature per line in Weft syntax: `name(param: type, optional?: type) -> result  # what it does`.";

export interface WeftMcpServerOptions {
  tools: AnyTool[];
  /** Name and version the server reports. */
  name?: string;
  version?: string;
}

function text(value: string, isError = false): CallToolResult {
  return { content: [{ type: "text", text: value }], ...(isError ? { isError: true } : {}) };
}

function diagnosticsText(diagnostics: Diagnostic[], source: string): string {
  return renderDiagnostics(diagnostics, source, { file: "plan", color: false });
}

/** The scheduler's messages say where (`line 3 ($a = search): ...`); the kind says what. */
function errorLine(e: RunError): string {
  return e.kind === "tool" ? e.message : `${e.kind}: ${e.message}`;
}

/**
 * When the client asked for progress: one notification per call that ends,
 * `progress` counting them, `message` naming the call (`$pop = wiki.fact finished`).
 */
function progressReporter(
  progressToken: string | number,
  extra: { sendNotification: (n: ServerNotification) => Promise<void> },
): (event: RunEvent) => void {
  let done = 0;
  return (event) => {
    if (event.type !== "finished" && event.type !== "failed") return;
    if (event.node.kind !== "call") return;
    done++;
    const name = event.node.binding === undefined ? "" : `$${event.node.binding} = `;
    const message = `${name}${event.node.tool ?? event.node.id} ${event.type}`;
    // A client that went away cannot be told; the run's result says the rest.
    extra
      .sendNotification({
        method: "notifications/progress",
        params: { progressToken, progress: done, message },
      })
      .catch(() => {});
  };
}

/** An MCP server (not yet connected) whose tools check and run plans against `tools`. */
export function createWeftMcpServer(options: WeftMcpServerOptions): McpServer {
  const server = new McpServer(
    { name: options.name ?? "weft", version: options.version ?? "0.0.0" },
    { instructions: `Run tool-calling plans in parallel with run_plan.\n\n${LANGUAGE_PRIMER}` },
  );
  const tools = options.tools;

  server.registerTool(
    "describe_tools",
    {
      description: DESCRIBE_DESCRIPTION,
      inputSchema: {},
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () => {
      if (tools.length === 0)
        return text(
          "no tools are loaded (start weft mcp with --tools MODULE, --std or --mcp COMMAND)",
        );
      return text(tools.map(toolSignature).join("\n"));
    },
  );

  server.registerTool(
    "check_plan",
    {
      description: CHECK_DESCRIPTION,
      inputSchema: { plan: z.string().describe("the plan's text") },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ plan }) => {
      const r = checkSource(plan, { tools });
      if (r.diagnostics.length === 0) return text("ok");
      const head = hasErrors(r.diagnostics) ? "errors" : "ok, with warnings";
      return text(
        `${head}: ${summarize(r.diagnostics)}\n\n${diagnosticsText(r.diagnostics, plan)}`,
      );
    },
  );

  server.registerTool(
    "run_plan",
    {
      description: RUN_DESCRIPTION,
      inputSchema: {
        plan: z.string().describe("the plan's text"),
        inputs: z
          .record(z.string(), z.unknown())
          .optional()
          .describe("values of the plan's `input` declarations, by name without $"),
        timeoutMs: z.number().positive().optional().describe("deadline for the whole run"),
      },
    },
    async ({ plan, inputs, timeoutMs }, extra) => {
      const compiled = compile(plan, { tools, source: "plan" });
      if (compiled.graph === undefined) {
        return text(
          `the plan does not compile (${summarize(compiled.diagnostics)}); nothing ran\n\n${diagnosticsText(compiled.diagnostics, plan)}`,
          true,
        );
      }
      const progressToken = extra._meta?.progressToken;
      const onEvent =
        progressToken === undefined ? undefined : progressReporter(progressToken, extra);
      const result = await runGraph(compiled.graph, {
        tools,
        inputs: inputs ?? {},
        signal: extra.signal,
        source: "plan",
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(onEvent === undefined ? {} : { onEvent }),
      });
      const trace = summarizeTrace(result.trace);
      // Warnings (an unused result, a denied capability...) are worth a model's attention.
      const warnings =
        compiled.diagnostics.length === 0
          ? {}
          : { warnings: diagnosticsText(compiled.diagnostics, plan) };
      if (!result.ok) {
        const errors = result.errors.map(errorLine).join("\n");
        const structured = { ok: false, errors: result.errors.map(errorLine), trace, ...warnings };
        // A warning (a denied capability, an unused result) often says why it failed.
        const also = warnings.warnings === undefined ? "" : `\n\nwarnings:\n${warnings.warnings}`;
        return {
          ...text(`the plan failed:\n${errors}\n\ntrace: ${JSON.stringify(trace)}${also}`, true),
          structuredContent: structured,
        };
      }
      const value = result.value ?? null;
      return {
        ...text(JSON.stringify({ value, trace, ...warnings }, null, 2)),
        structuredContent: { ok: true, value, trace, ...warnings },
      };
    },
  );
  return server;
}
