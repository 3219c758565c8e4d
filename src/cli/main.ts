// The `weft` command. Exit codes: 0 ok, 1 the plan or check failed, 2 usage or I/O error.
import { Command, CommanderError, Option } from "commander";
import { runCheck, type CheckFlags } from "./commands/check.js";
import { runCompile, type CompileFlags } from "./commands/compile.js";
import { runFmt } from "./commands/fmt.js";
import { runRun, type RunFlags } from "./commands/run.js";
import { registerAsk } from "./commands/ask.js";
import { registerImport } from "./commands/import.js";
import { registerMcp } from "./commands/mcp.js";
import { processIo, UsageError, type Io } from "./io.js";
import { addToolFlags, collect } from "./tool-flags.js";
import { weftVersion } from "./version.js";

function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command("weft")
    .description(
      "Weft: a plan language for tool-using LLM agents — check, compile, format and run .plan files; let a model write them (ask); import the peers' plans; serve MCP",
    )
    .version(weftVersion(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  const check = program
    .command("check")
    .description(
      "parse and typecheck plans; report every problem with its line and column (without a tool source, tool names and signatures are not checked)",
    )
    .argument("<files...>", "plan files (- for standard input)");
  addToolFlags(check, { llm: true })
    .option("--json", "print diagnostics as JSON")
    .addHelpText(
      "after",
      "\nExit status: 0 clean (warnings allowed), 1 errors found, 2 usage or I/O error.",
    )
    .action(async (files: string[], flags: CheckFlags) => {
      setExit(await runCheck(files, flags, io));
    });

  const compile = program
    .command("compile")
    .description("compile a plan (or validate a plan-graph .json) to its dependency graph")
    .argument("<file>", "plan file, a plan graph in JSON (*.json), or - for standard input");
  // Tools check signatures and map positional arguments to names.
  addToolFlags(compile, { llm: true })
    .addOption(
      new Option("-e, --emit <format>", "output format")
        .choices(["json", "dot", "mermaid"])
        .default("json"),
    )
    .option(
      "--prune",
      "remove calls whose results are never used (never bare call statements or `effect` tools)",
    )
    .option("-o, --output <file>", "write to a file instead of standard output")
    .addHelpText("after", "\nExit status: 0 compiled, 1 the plan has errors, 2 usage or I/O error.")
    .action(async (file: string, flags: CompileFlags) => {
      setExit(await runCompile(file, flags, io));
    });

  program
    .command("fmt")
    .description("format plans in the canonical layout (comments kept)")
    .argument("<files...>", "plan files (- for standard input)")
    .option("--check", "do not print; exit 1 if any file would change")
    .option("-w, --write", "rewrite the files in place")
    .addHelpText(
      "after",
      "\nWith neither flag, prints the formatted text.\nExit status: 0 ok, 1 a file would change or has syntax errors, 2 usage or I/O error.",
    )
    .action(async (files: string[], flags: { check?: boolean; write?: boolean }) => {
      setExit(await runFmt(files, flags, io));
    });

  const run = program
    .command("run")
    .description(
      "run a plan: every tool call starts the moment its inputs exist; prints the result",
    )
    .argument("<file>", "plan file, or - for standard input");
  addToolFlags(run, { llm: true })
    .option(
      "-a, --arg <name=value>",
      "a plan input (repeatable); the value is JSON when it parses as JSON, else text",
      collect,
    )
    .option("-c, --concurrency <n>", "at most this many calls in flight (default: unbounded)")
    .option("-k, --keep-going", "on a failure, skip only the calls that depend on it")
    .option("-j, --journal <file>", "record finished calls in a JSONL file; a re-run reuses them")
    .option("--trace <file>", "write the run's trace (start, end, status of every call) as JSON")
    .option("--timeout <ms>", "deadline for the whole run, in milliseconds")
    .option("--json", "print { ok, value, errors } as JSON")
    .option("-v, --verbose", "print every event (queued, started, finished...) on stderr")
    .addHelpText(
      "after",
      "\nExit status: 0 ok, 1 the plan did not compile or a call failed, 2 usage error (bad flag,\nunreadable file, tools module, MCP server that does not start, unknown or missing input,\njournal), 130 interrupted.",
    )
    .action(async (file: string, flags: RunFlags) => {
      setExit(await runRun(file, flags, io));
    });

  registerAsk(program, io, setExit);
  registerImport(program, io, setExit);
  registerMcp(program, io, setExit);
  return program;
}

/** Runs the CLI and returns the exit code; never throws for user errors. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  if (argv.length === 0) {
    io.stderr(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version end in a CommanderError too, with exit code 0.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError) {
      io.stderr(`weft: ${e.message}\n`);
      return 2;
    }
    io.stderr(`weft: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env["WEFT_DEBUG"] !== undefined && e instanceof Error && e.stack)
      io.stderr(`${e.stack}\n`);
    return 70;
  }
}
