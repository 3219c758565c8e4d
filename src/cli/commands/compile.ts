import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { compile } from "../../compiler/compile.js";
import { toDot } from "../../compiler/emit/dot.js";
import { toJson } from "../../compiler/emit/json.js";
import { toMermaid } from "../../compiler/emit/mermaid.js";
import type { PlanGraph } from "../../compiler/ir.js";
import { prune } from "../../compiler/passes/prune.js";
import { toolSet, type AnyTool } from "../../compiler/tool.js";
import { parseGraphJson } from "../../compiler/validate.js";
import { hasErrors } from "../../diagnostics/diagnostic.js";
import { renderDiagnostics } from "../../diagnostics/render.js";
import { displayName, readSource, UsageError, type Io } from "../io.js";
import { hasToolSource, openTools, type ToolFlags } from "../tool-flags.js";

export type EmitFormat = "json" | "dot" | "mermaid";

export interface CompileFlags extends ToolFlags {
  emit: EmitFormat;
  prune?: boolean;
  output?: string;
}

const emitters: Record<EmitFormat, (g: PlanGraph) => string> = {
  json: toJson,
  dot: toDot,
  mermaid: toMermaid,
};

export async function runCompile(file: string, flags: CompileFlags, io: Io): Promise<number> {
  // Read first: a missing file should not wait for MCP servers to start.
  const text = await readSource(io, file);
  if (!hasToolSource(flags)) return compileFile(file, text, flags, undefined, io);
  const opened = await openTools(flags, io);
  try {
    return await compileFile(file, text, flags, opened.tools, io);
  } finally {
    await opened.close();
  }
}

async function compileFile(
  file: string,
  text: string,
  flags: CompileFlags,
  tools: AnyTool[] | undefined,
  io: Io,
): Promise<number> {
  const name = displayName(file);
  let graph: PlanGraph;
  if (file.endsWith(".json")) {
    // A graph from JSON (ours or anyone's) is untrusted: validate before emitting.
    const r = parseGraphJson(text);
    if (r.graph === undefined || hasErrors(r.diagnostics)) {
      io.stderr(
        `${renderDiagnostics(r.diagnostics, text, { file: name, color: io.color.stderr })}\n`,
      );
      return 1;
    }
    graph =
      flags.prune === true
        ? prune(r.graph, tools === undefined ? undefined : toolSet(tools))
        : r.graph;
  } else {
    const r = compile(text, {
      ...(tools === undefined ? {} : { tools }),
      source: name,
      prune: flags.prune === true,
    });
    if (r.diagnostics.length > 0) {
      io.stderr(
        `${renderDiagnostics(r.diagnostics, text, { file: name, color: io.color.stderr })}\n`,
      );
    }
    if (r.graph === undefined) return 1;
    graph = r.graph;
  }
  const out = emitters[flags.emit](graph);
  if (flags.output === undefined) {
    io.stdout(out);
  } else {
    try {
      await writeFile(resolve(io.cwd, flags.output), out);
    } catch (e) {
      throw new UsageError(`cannot write ${flags.output}: ${(e as Error).message}`);
    }
  }
  return 0;
}
