// Weft's public API. The pipeline in four calls:
//   parse(text) -> check(text, { tools }) -> compile(text, { tools }) -> run(text or graph, { tools })
// and format(text) for the canonical layout.

// ## Parsing and formatting
export { parse, type ParseResult } from "./parser/parse.js";
export { formatText as format } from "./parser/format.js";
export type * as ast from "./parser/ast.js";
export type { Plan, Statement, Expr } from "./parser/ast.js";

// ## Checking and compiling
export {
  checkSource as check,
  compile,
  type CheckSourceOptions as CheckOptions,
  type CheckSourceResult as CheckResult,
  type CompileOptions,
  type CompileResult,
} from "./compiler/compile.js";
export { validateGraph, parseGraphJson } from "./compiler/validate.js";
export { prune } from "./compiler/passes/prune.js";
export { mergePure } from "./compiler/passes/merge-pure.js";
export { toJson } from "./compiler/emit/json.js";
export { toDot } from "./compiler/emit/dot.js";
export { toMermaid } from "./compiler/emit/mermaid.js";
export {
  IR_VERSION,
  type PlanGraph,
  type PlanNode,
  type CallNode,
  type EachNode,
  type PlanInput,
  type IrExpr,
  type IrArgs,
  type Json,
  type Span,
} from "./compiler/ir.js";

// ## Running
export { run, runGraph } from "./runtime/run.js";
export type {
  RunOptions,
  RunResult,
  RunError,
  RunErrorKind,
  RunEvent,
  RunLimits,
  NodeRef,
  NodeStatus,
  Trace,
  TraceEntry,
} from "./runtime/types.js";

// ## Tools
export { toolSignature } from "./compiler/signature.js";
export {
  defineTool,
  toolSet,
  PermanentError,
  type ToolDefinition,
  type ToolContext,
  type AnyTool,
  type ToolSet,
} from "./compiler/tool.js";

// ## Diagnostics
export type { Diagnostic, Severity, RelatedInfo } from "./diagnostics/diagnostic.js";
export { hasErrors } from "./diagnostics/diagnostic.js";
export type { Range, Position } from "./diagnostics/range.js";
export { renderDiagnostic, renderDiagnostics, type RenderOptions } from "./diagnostics/render.js";

// ## The agent: LLM-written plans on an OpenAI-compatible server
export { createAgent } from "./agent/agent.js";
export type {
  Agent,
  AgentOptions,
  AskOptions,
  AskResult,
  AgentMode,
  PlanFormat,
  LlmRole,
  AgentEvent,
  AgentError,
  AgentErrorKind,
  Usage,
  LlmUsage,
  LlmCallRecord,
  Timings,
  ToolCallRecord,
} from "./agent/types.js";
export { PlanExtractor, extractPlan, type ExtractedLine } from "./agent/extract.js";

// ## Tools from the ecosystem: the standard library, JSON Schema, MCP
export { stdTools, type StdOptions } from "./tools/std/index.js";
export {
  jsonSchemaTool,
  zodFromJsonSchema,
  inputFromJsonSchema,
  type JsonSchema,
  type JsonSchemaToolDefinition,
  type FunctionToolDefinition,
  type ToolOptions,
} from "./tools/json-schema.js";
export {
  connectMcp,
  withMcp,
  parseMcpSpec,
  McpServerError,
  type McpServerConfig,
  type McpTools,
} from "./tools/mcp-client.js";
export { createWeftMcpServer, type WeftMcpServerOptions } from "./tools/mcp-server.js";
export { summarizeTrace, type TraceSummary, type CriticalCall } from "./tools/trace-summary.js";
export { openToolbox, ToolboxError, type Toolbox, type ToolboxOptions } from "./tools/toolbox.js";

// ## The peers' plan formats: ReWOO, LLMCompiler, Chain-of-Abstraction
export {
  importPlan,
  readPlan,
  checkImported,
  FOREIGN_FORMATS,
  IMPORT_CODES,
  type ForeignFormat,
  type ImportOptions,
  type ImportResult,
  type BuiltPlan,
  type Origin,
  type CheckedImport,
  type CheckImportOptions,
} from "./compat/index.js";
