// `weft import --from rewoo|llmcompiler|coa FILE`: a peer's plan as Weft.
// Prints the canonical .plan text (or, with --json, the compiled graph);
// every diagnostic points at the ORIGINAL file's line and column.
// Exit: 0 clean, 1 diagnostics reported, 2 usage or I/O error.
import { Option, type Command } from "commander";
import { toJson } from "../../compiler/emit/json.js";
import type { AnyTool } from "../../compiler/tool.js";
import {
  checkImported,
  FOREIGN_FORMATS,
  readPlan,
  type ForeignFormat,
} from "../../compat/index.js";
import { isToolName } from "../../parser/names.js";
import { renderDiagnostics, summarize } from "../../diagnostics/render.js";
import { displayName, readSource, UsageError, type Io } from "../io.js";
import { addToolFlags, collect, hasToolSource, openTools, type ToolFlags } from "../tool-flags.js";

export interface ImportFlags extends ToolFlags {
  from: ForeignFormat;
  json?: boolean;
  map?: string[];
}

/** `--map Wikipedia=wiki.search` flags as a rename table. */
function parseMap(specs: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    const from = spec.slice(0, eq).trim();
    const to = spec.slice(eq + 1).trim();
    if (eq <= 0 || from === "" || to === "")
      throw new UsageError(
        `--map expects OLD=new, as in --map Wikipedia=wiki.search (got "${spec}")`,
      );
    // Said here, once: otherwise every step that calls `from` would blame the plan.
    if (!isToolName(to))
      throw new UsageError(
        `--map ${spec}: \`${to}\` is not a tool name a plan can call (letters, digits, _ and dots; not a keyword)`,
      );
    map[from] = to;
  }
  return map;
}

async function runImport(file: string, flags: ImportFlags, io: Io): Promise<number> {
  const map = parseMap(flags.map ?? []);
  const text = await readSource(io, file);
  if (!hasToolSource(flags)) return importText(text, file, flags, map, undefined, io);
  const opened = await openTools(flags, io);
  try {
    return await importText(text, file, flags, map, opened.tools, io);
  } finally {
    await opened.close();
  }
}

function importText(
  text: string,
  file: string,
  flags: ImportFlags,
  map: Record<string, string>,
  tools: AnyTool[] | undefined,
  io: Io,
): number {
  const name = displayName(file);
  const built = readPlan(flags.from, text, { map });
  const checked = checkImported(built, {
    ...(tools === undefined ? {} : { tools }),
    source: name,
  });
  if (flags.json === true) {
    if (checked.graph !== undefined) io.stdout(toJson(checked.graph));
  } else {
    io.stdout(built.text);
  }
  const diagnostics = checked.diagnostics;
  if (diagnostics.length > 0) {
    io.stderr(
      `${renderDiagnostics(diagnostics, text, { file: name, color: io.color.stderr })}\n\n`,
    );
  }
  const steps = `${built.steps} step${built.steps === 1 ? "" : "s"}`;
  const note = tools === undefined ? " (tools not checked: pass --tools MODULE)" : "";
  io.stderr(
    `${diagnostics.length === 0 ? "imported" : "imported with diagnostics"}: ${name}, ${steps}, ${summarize(diagnostics)}${note}\n`,
  );
  return diagnostics.length === 0 ? 0 : 1;
}

export function registerImport(program: Command, io: Io, setExit: (code: number) => void): void {
  const command = program
    .command("import")
    .description(
      "read a ReWOO, LLMCompiler or Chain-of-Abstraction plan and print it as a Weft plan",
    )
    .argument("<file>", "the plan in the peer's format, or - for standard input")
    .addOption(
      new Option("-f, --from <format>", "the format of the plan")
        .choices([...FOREIGN_FORMATS])
        .makeOptionMandatory(),
    )
    .option("--json", "print the compiled plan graph (IR) as JSON instead of the plan text")
    .option(
      "-m, --map <old=new>",
      "rename a tool, as in --map Wikipedia=wiki.search (repeatable)",
      collect,
    );
  addToolFlags(command, { llm: true })
    .addHelpText(
      "after",
      [
        "",
        "Diagnostics go to standard error and point at the line and column of the ORIGINAL file;",
        "with tools (--tools, --std, --mcp), calls are also checked against their signatures.",
        "",
        "Examples:",
        "  weft import --from rewoo plan.txt",
        "  weft import --from llmcompiler --map search=wiki.search --tools ./tools.ts plan.txt",
        "  weft import --from rewoo --json - < plan.txt",
        "",
        "Exit status: 0 imported cleanly, 1 diagnostics were reported (the plan is still printed),",
        "2 usage or I/O error.",
      ].join("\n"),
    )
    .action(async (file: string, flags: ImportFlags) => {
      setExit(await runImport(file, flags, io));
    });
}
