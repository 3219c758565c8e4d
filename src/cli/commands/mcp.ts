// `weft mcp`: Weft as an MCP server over stdio (run_plan, check_plan,
// describe_tools). stdout carries protocol messages and nothing else: the
// console is sent to stderr while serving, so a chatty tool cannot break it.
// Exit: 0 when the client hangs up, 2 when a tool source cannot be opened.
import type { Command } from "commander";
import type { Io } from "../io.js";
import { addToolFlags, openTools, type ToolFlags } from "../tool-flags.js";
import { weftVersion } from "../version.js";

export function registerMcp(program: Command, io: Io, setExit: (code: number) => void): void {
  const command = program
    .command("mcp")
    .description(
      "serve MCP over stdio: run_plan, check_plan and describe_tools over the tools the flags load",
    );
  addToolFlags(command, { llm: true })
    .addHelpText(
      "after",
      `
Register it with an MCP client as a stdio server, e.g. in a client's JSON config:
  { "mcpServers": { "weft": { "command": "npx", "args": ["weft", "mcp", "--tools", "/abs/tools.js"] } } }

Exit status: 0 when the client closes the connection (or on Ctrl-C), 2 usage error
(bad flag, tools module, MCP server that does not start).`,
    )
    .action(async (flags: ToolFlags) => {
      setExit(await serveMcp(flags, io));
    });
}

async function serveMcp(flags: ToolFlags, io: Io): Promise<number> {
  // Before the tools load: a module that logs as it is imported must not write to stdout either.
  const restoreConsole = consoleToStderr();
  let opened: Awaited<ReturnType<typeof openTools>>;
  try {
    opened = await openTools(flags, io);
  } catch (e) {
    restoreConsole();
    throw e;
  }
  // Loaded here, not at the top: the other commands never need the server side of the SDK.
  const [{ createWeftMcpServer }, { StdioServerTransport }] = await Promise.all([
    import("../../tools/mcp-server.js"),
    import("@modelcontextprotocol/sdk/server/stdio.js"),
  ]);
  const server = createWeftMcpServer({ tools: opened.tools, name: "weft", version: weftVersion() });
  try {
    const done = new Promise<void>((resolve) => {
      process.stdin.once("end", resolve);
      process.stdin.once("close", resolve);
      const stop = io.onInterrupt?.(() => {
        stop?.();
        resolve();
      });
      server.server.onclose = () => resolve();
    });
    await server.connect(new StdioServerTransport(process.stdin, process.stdout));
    io.stderr(`weft mcp: serving ${opened.tools.length} tools over stdio\n`);
    await done;
  } finally {
    await server.close().catch(() => {});
    await opened.close();
    restoreConsole();
  }
  return 0;
}

/** Sends console.log/info/debug to stderr; returns what undoes it. */
function consoleToStderr(): () => void {
  const saved = { log: console.log, info: console.info, debug: console.debug };
  console.log = console.info = console.debug = console.error;
  return () => Object.assign(console, saved);
}
