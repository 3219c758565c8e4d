import { checkSource } from "../../compiler/compile.js";
import type { AnyTool } from "../../compiler/tool.js";
import { hasErrors, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { renderDiagnostics, summarize } from "../../diagnostics/render.js";
import { displayName, readSource, type Io } from "../io.js";
import { hasToolSource, openTools, type ToolFlags } from "../tool-flags.js";

export interface CheckFlags extends ToolFlags {
  json?: boolean;
}

export async function runCheck(files: string[], flags: CheckFlags, io: Io): Promise<number> {
  // Read first: a missing file should not wait for MCP servers to start.
  const sources: Source[] = [];
  for (const file of files) sources.push({ file, text: await readSource(io, file) });
  if (!hasToolSource(flags)) return check(sources, flags, undefined, io);
  const opened = await openTools(flags, io);
  try {
    return await check(sources, flags, opened.tools, io);
  } finally {
    await opened.close();
  }
}

interface Source {
  file: string;
  text: string;
}

async function check(
  sources: Source[],
  flags: CheckFlags,
  tools: AnyTool[] | undefined,
  io: Io,
): Promise<number> {
  const results: { file: string; ok: boolean; diagnostics: Diagnostic[]; text: string }[] = [];
  for (const { file, text } of sources) {
    const r = checkSource(text, tools === undefined ? {} : { tools });
    results.push({ file: displayName(file), ok: r.ok, diagnostics: r.diagnostics, text });
  }
  const all = results.flatMap((r) => r.diagnostics);
  const ok = !hasErrors(all);
  if (flags.json === true) {
    const files = results.map(({ file, ok, diagnostics }) => ({ file, ok, diagnostics }));
    io.stdout(`${JSON.stringify({ ok, toolsChecked: tools !== undefined, files }, null, 2)}\n`);
  } else {
    for (const r of results) {
      if (r.diagnostics.length > 0) {
        io.stdout(
          `${renderDiagnostics(r.diagnostics, r.text, { file: r.file, color: io.color.stdout })}\n\n`,
        );
      }
    }
    const n = results.length;
    const note =
      tools === undefined
        ? " (tools not checked: pass --tools MODULE, --std or --mcp COMMAND)"
        : "";
    io.stdout(
      `${ok ? "ok" : "failed"}: ${n} file${n === 1 ? "" : "s"}, ${summarize(all)}${note}\n`,
    );
  }
  return ok ? 0 : 1;
}
