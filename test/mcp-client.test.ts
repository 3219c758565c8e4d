// MCP servers as plan tools, against real servers started as child
// processes (test/fixtures/mcp/*.mjs): listing, naming, results, errors,
// cancellation, timeouts, a server that crashes and one that never starts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toolSignature } from "../src/compiler/signature.js";
import type { AnyTool, ToolContext } from "../src/compiler/tool.js";
import { splitCommandLine } from "../src/tools/command-line.js";
import {
  connectMcp,
  defaultNamespace,
  McpServerError,
  parseMcpSpec,
  resultValue,
  type McpTools,
  withMcp,
} from "../src/tools/mcp-client.js";
import { run } from "../src/runtime/run.js";

const fixture = (name: string) => parseMcpSpec(`node test/fixtures/mcp/${name}.mjs`);

function context(signal = new AbortController().signal): ToolContext {
  return { signal, attempt: 1, node: { id: "n1" } };
}

function tool(mcp: McpTools, name: string): AnyTool {
  const found = mcp.tools.find((t) => t.name === name);
  if (found === undefined) throw new Error(`no tool ${name}`);
  return found;
}

describe("command lines", () => {
  it.each([
    ["node server.mjs --flag", ["node", "server.mjs", "--flag"]],
    [`node "my server.mjs"  'a b' c\\ d`, ["node", "my server.mjs", "a b", "c d"]],
    [`echo "say \\"hi\\" \\$HOME" '\\n'`, ["echo", 'say "hi" $HOME', "\\n"]],
    [`x "" ''`, ["x", "", ""]],
    ["  spaced\tout  ", ["spaced", "out"]],
    ["a '|' \"&&\"", ["a", "|", "&&"]],
  ])("%s", (line, words) => {
    expect(splitCommandLine(line)).toEqual(words);
  });

  it.each([
    [`node "x.mjs`, 'unterminated " quote'],
    [`node 'x.mjs`, "unterminated ' quote"],
    ["node x.mjs | tee log", "`|` is shell syntax"],
  ])("rejects %s", (line, message) => {
    expect(() => splitCommandLine(line)).toThrow(message);
  });

  it.each([
    ["node", ["./servers/weather.mjs"], "weather"],
    ["npx", ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"], "filesystem"],
    ["uvx", ["mcp-server-fetch"], "fetch"],
    ["python", ["-m", "mcp_server_git"], "git"],
    ["/usr/local/bin/github-mcp-server", ["stdio"], "github"],
    ["npx", ["-y", "some-pkg@1.2.3"], "some_pkg"],
    ["docker", ["run", "-i", "--rm", "mcp/time:latest"], "time"],
    ["node", ["2fa.js"], "_2fa"],
  ])("%s %j is named %s", (command, args, name) => {
    expect(defaultNamespace(command, args)).toBe(name);
  });

  it("takes a name in front of the command", () => {
    expect(parseMcpSpec('fs=npx -y "server files" /tmp')).toEqual({
      name: "fs",
      command: "npx",
      args: ["-y", "server files", "/tmp"],
    });
    expect(parseMcpSpec("node a=b.mjs")).toEqual({ command: "node", args: ["a=b.mjs"] });
    expect(() => parseMcpSpec("   ")).toThrow("--mcp needs a command");
    expect(() => parseMcpSpec("in=node x.mjs")).toThrow("keyword");
  });
});

describe("results", () => {
  it.each([
    [{ structuredContent: { a: 1 }, content: [{ type: "text", text: "x" }] }, { a: 1 }],
    [{ content: [{ type: "text", text: "plain" }] }, "plain"],
    [{ content: [{ type: "text", text: ' {"a": [1]} ' }] }, { a: [1] }],
    [{ content: [{ type: "text", text: "[1, 2" }] }, "[1, 2"],
    [{ content: [{ type: "text", text: "42" }] }, "42"],
    [{ content: [] }, null],
    [
      {
        content: [
          { type: "text", text: "a" },
          { type: "image", data: "AAAA", mimeType: "image/png" },
        ],
      },
      ["a", { type: "image", data: "AAAA", mimeType: "image/png" }],
    ],
  ])("%j -> %j", (result, value) => {
    expect(resultValue(result)).toEqual(value);
  });
});

describe("a running server's tools", () => {
  let mcp: McpTools;
  beforeAll(async () => {
    mcp = await connectMcp([
      fixture("calc"),
      fixture("failing"),
      { ...fixture("slow"), callTimeoutMs: 2_000 },
      { name: "quick", ...fixture("slow"), callTimeoutMs: 100 },
    ]);
  });
  afterAll(async () => {
    await mcp.close();
  });

  it("are named server.tool, with signatures from their JSON Schemas", () => {
    const calc = mcp.tools.filter((t) => t.name.startsWith("calc."));
    expect(calc.map(toolSignature)).toEqual([
      "calc.add(a: number, b: number) -> {sum: number}  # Adds two numbers",
      "calc.echo(text: string) -> any  # Says the text back",
      "calc.word_count(text: string) -> any  # Counts the words of a text",
      "calc.truncate(text: string, max_words: number) -> any  # The first words of a text",
      "calc.pid() -> any  # The server's process id",
    ]);
    expect(mcp.servers.find((s) => s.name === "calc")?.tools[2]).toEqual({
      name: "calc.word_count",
      mcpName: "word-count",
    });
    expect(mcp.tools.map((t) => t.name)).toContain("quick.wait");
  });

  it("read annotations as hints: read-only and closed-world is pure, anything else an effect", () => {
    expect(tool(mcp, "calc.add").pure).toBe(true);
    expect(tool(mcp, "calc.add").effect).toBeUndefined();
    expect(tool(mcp, "calc.echo").effect).toBe(true);
  });

  it("return structured content, JSON text parsed, plain text as text", async () => {
    expect(await tool(mcp, "calc.add").run({ a: 2, b: 3 }, context())).toEqual({ sum: 5 });
    expect(await tool(mcp, "calc.word_count").run({ text: "a b c" }, context())).toEqual({
      words: 3,
    });
    expect(await tool(mcp, "calc.echo").run({ text: "hi" }, context())).toBe("hi");
  });

  it("rename parameters a plan cannot spell, and send the server its own names", async () => {
    const truncate = tool(mcp, "calc.truncate");
    expect(await truncate.run({ text: "a b c d", max_words: 2 }, context())).toBe("a b");
  });

  it("turn an error result into an error naming the server and tool", async () => {
    await expect(tool(mcp, "failing.refuse").run({ reason: "no" }, context())).rejects.toThrow(
      "MCP server `failing`, tool `refuse`: refused: no",
    );
    await expect(tool(mcp, "failing.throws").run({}, context())).rejects.toThrow(
      "MCP server `failing`, tool `throws`: database unreachable",
    );
  });

  it("stop waiting when the call is aborted", async () => {
    const controller = new AbortController();
    const call = tool(mcp, "slow.wait").run({ label: "x", ms: 30_000 }, context(controller.signal));
    controller.abort(new Error("stop"));
    await expect(call).rejects.toThrow("stop");
    // The server is still there for the next call.
    expect(await tool(mcp, "slow.wait").run({ label: "y", ms: 1 }, context())).toBe("y");
  });

  it("give up after the call timeout, naming server and tool", async () => {
    await expect(
      tool(mcp, "quick.wait").run({ label: "x", ms: 30_000 }, context()),
    ).rejects.toThrow("MCP server `quick`, tool `wait`: no answer within 100 ms");
  });
});

describe("servers that fail", () => {
  it("a server that crashes mid-call fails every pending call at once, naming server and tool", async () => {
    const mcp = await connectMcp([fixture("crash")]);
    try {
      const pending = tool(mcp, "crash.hang").run({}, context());
      await expect(tool(mcp, "crash.boom").run({ after: 50 }, context())).rejects.toThrow(
        "MCP server `crash`, tool `boom`: the server exited during the call (server stderr: crash.mjs: out of cheese)",
      );
      await expect(pending).rejects.toThrow(
        "MCP server `crash`, tool `hang`: the server exited during the call",
      );
      await expect(tool(mcp, "crash.ok").run({}, context())).rejects.toThrow(
        "MCP server `crash`, tool `ok`: the server is not running (it exited)",
      );
    } finally {
      await mcp.close();
    }
  });

  it("a command that does not exist", async () => {
    const error = await connectMcp([parseMcpSpec("weft-no-such-command --x")]).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(McpServerError);
    expect((error as Error).message).toBe(
      "MCP server `weft_no_such_command` (weft-no-such-command --x) failed to start: command not found: weft-no-such-command",
    );
  });

  it("a server that exits before it answers, with what it said on stderr", async () => {
    await expect(connectMcp([fixture("no-such-file")])).rejects.toThrow(
      /MCP server `no_such_file` \(node test\/fixtures\/mcp\/no-such-file.mjs\) failed to start: the server exited \(server stderr: Error: Cannot find module/,
    );
  });

  it("one server that fails fails the connection", async () => {
    const error = await connectMcp([fixture("calc"), parseMcpSpec("weft-no-such-command")]).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toContain("command not found");
  });

  it("two servers with one name", async () => {
    await expect(connectMcp([fixture("calc"), fixture("calc")])).rejects.toThrow(
      'two MCP servers are named `calc`: name them with --mcp "NAME=command ..."',
    );
  });
});

describe("withMcp", () => {
  it("runs a plan over the servers' tools, then stops them", async () => {
    let pid = 0;
    const result = await withMcp([fixture("calc")], async (tools) => {
      const r = await run("$s = calc.add(1, 2)\n$p = calc.pid()\nreturn [$s.sum, $p]", { tools });
      pid = Number((r.value as unknown[])[1]);
      return r;
    });
    expect((result.value as unknown[])[0]).toBe(3);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe("close", () => {
  it("stops the server processes", async () => {
    const mcp = await connectMcp([fixture("calc")]);
    const pid = Number(await tool(mcp, "calc.pid").run({}, context()));
    expect(() => process.kill(pid, 0)).not.toThrow();
    await mcp.close();
    expect(() => process.kill(pid, 0)).toThrow();
    await mcp.close(); // twice is fine
  });
});
