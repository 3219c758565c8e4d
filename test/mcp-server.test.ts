// Weft as an MCP server: run_plan, check_plan and describe_tools, in-process
// over an in-memory transport and as the real `weft mcp` process driven by
// the SDK's own client; the trace summary; one real `weft run --mcp` process.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { checkSource } from "../src/compiler/compile.js";
import { defineTool, type AnyTool } from "../src/compiler/tool.js";
import type { Trace } from "../src/runtime/types.js";
import { createWeftMcpServer, LANGUAGE_PRIMER } from "../src/tools/mcp-server.js";
import { summarizeTrace } from "../src/tools/trace-summary.js";
import fixtureTools from "./fixtures/tools.js";
// @ts-expect-error a plain JS module without types
import runTools from "./fixtures/run-tools.mjs";

const root = resolve(import.meta.dirname, "..");
const bin = join(root, "bin/weft.js");

interface TextResult {
  content: { type: string; text: string }[];
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  return (await client.callTool({ name, arguments: args })) as unknown as TextResult;
}

const textOf = (r: TextResult) => r.content.map((c) => c.text).join("\n");

describe("the language primer in the tool descriptions", () => {
  it("is a plan that checks against search, wiki.page and summarize", () => {
    const example = LANGUAGE_PRIMER.split("\n")
      .filter((line) => line.startsWith("  "))
      .map((line) => line.replace(/\s+#.*$/, "").trim())
      .join("\n");
    expect(example.split("\n")).toHaveLength(6);
    const r = checkSource(example, { tools: fixtureTools });
    expect(r.diagnostics).toEqual([]);
  });
});

describe("summarizeTrace", () => {
  const trace: Trace = {
    makespanMs: 90,
    nodes: [
      {
        id: "a",
        kind: "call",
        tool: "t",
        binding: "a",
        deps: [],
        status: "ok",
        start: 0,
        end: 50,
        attempts: 1,
        line: 1,
      },
      {
        id: "b",
        kind: "call",
        tool: "t",
        binding: "b",
        deps: [],
        status: "ok",
        start: 0,
        end: 20,
        attempts: 1,
        line: 2,
      },
      {
        id: "e",
        kind: "each",
        binding: "e",
        deps: ["b"],
        status: "ok",
        start: 20,
        end: 60,
        attempts: 1,
        line: 3,
      },
      {
        id: "e[0]",
        kind: "call",
        tool: "u",
        parent: "e",
        deps: ["b"],
        status: "ok",
        start: 20,
        end: 30,
        attempts: 1,
      },
      {
        id: "e[1]",
        kind: "call",
        tool: "u",
        parent: "e",
        deps: ["b"],
        status: "ok",
        start: 20,
        end: 60,
        attempts: 1,
      },
      {
        id: "c",
        kind: "call",
        tool: "v",
        binding: "c",
        deps: ["a", "e"],
        status: "ok",
        start: 60,
        end: 90,
        attempts: 1,
        line: 4,
      },
      {
        id: "d",
        kind: "call",
        tool: "v",
        binding: "d",
        deps: ["c"],
        status: "skipped",
        attempts: 0,
        line: 5,
      },
    ],
  };

  it("counts calls and finds the longest chain through each children", () => {
    expect(summarizeTrace(trace)).toEqual({
      calls: 5,
      failed: 0,
      makespanMs: 90,
      sequentialMs: 150,
      criticalPath: {
        ms: 90,
        calls: [
          { id: "b", binding: "b", tool: "t", line: 2, ms: 20 },
          { id: "e[1]", binding: "e[1]", tool: "u", ms: 40 },
          { id: "c", binding: "c", tool: "v", line: 4, ms: 30 },
        ],
      },
    });
  });

  it("is empty for a plan without calls", () => {
    expect(summarizeTrace({ makespanMs: 1, nodes: [] }).criticalPath).toEqual({ ms: 0, calls: [] });
  });

  it("is empty when no call ran (a run stopped before it started)", () => {
    const summary = summarizeTrace({
      makespanMs: 0,
      nodes: [{ id: "n1", kind: "call", tool: "t", deps: [], status: "skipped", attempts: 0 }],
    });
    expect(summary.calls).toBe(0);
    expect(summary.criticalPath).toEqual({ ms: 0, calls: [] });
  });
});

describe("createWeftMcpServer (in-process)", () => {
  const client = new Client({ name: "test", version: "1.0.0" });
  beforeAll(async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const server = createWeftMcpServer({ tools: runTools as AnyTool[] });
    await server.connect(serverSide);
    await client.connect(clientSide);
  });
  afterAll(async () => {
    await client.close();
  });

  it("lists the three tools, each described", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["check_plan", "describe_tools", "run_plan"]);
    const run = tools.find((t) => t.name === "run_plan");
    expect(run?.description).toContain("independent calls run in parallel");
    expect(run?.description).toContain("one statement per line");
    // A sentence cut off at a colon would leave a calling model guessing.
    for (const t of tools) expect(t.description).toMatch(/[.`]$/);
  });

  it("runs a plan with inputs and returns its value and a trace summary", async () => {
    const r = await call(client, "run_plan", {
      plan: 'input $n: string\n$a = sleep($n, 30)\n$b = sleep("b", 30)\n$c = sleep("c", 1, after: [$a, $b])\nreturn [$a, $c]',
      inputs: { n: "a" },
    });
    expect(r.isError).toBeUndefined();
    const out = r.structuredContent as {
      ok: boolean;
      value: unknown;
      trace: { calls: number; criticalPath: { calls: { binding?: string }[] } };
    };
    expect(out.ok).toBe(true);
    expect(out.value).toEqual(["a", "c"]);
    expect(out.trace.calls).toBe(3);
    expect(out.trace.criticalPath.calls.at(-1)?.binding).toBe("c");
    expect(JSON.parse(textOf(r))).toEqual({ value: out.value, trace: out.trace });
  });

  it("reports progress, one notification per finished call, when asked", async () => {
    const progress: number[] = [];
    const messages: string[] = [];
    await client.callTool(
      {
        name: "run_plan",
        arguments: { plan: '$a = sleep("a", 1)\n$b = sleep("b", 1)\nreturn [$a, $b]' },
      },
      undefined,
      {
        onprogress: (p) => {
          progress.push(p.progress);
          messages.push(p.message ?? "");
        },
      },
    );
    expect(progress).toEqual([1, 2]);
    expect(messages.sort()).toEqual(["$a = sleep finished", "$b = sleep finished"]);
  });

  it("returns the warnings of a plan that runs", async () => {
    const r = await call(client, "run_plan", { plan: '$unused = sleep("u", 1)\nreturn 1' });
    expect(r.isError).toBeUndefined();
    expect(r.structuredContent?.["value"]).toBe(1);
    expect(r.structuredContent?.["warnings"]).toContain("plan:1:1: warning[");
  });

  it("returns the diagnostics, with line:column, for a plan that does not compile", async () => {
    const r = await call(client, "run_plan", { plan: '$a = slep("x", 1)\nreturn $a' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain("the plan does not compile (1 error, 0 warnings); nothing ran");
    expect(textOf(r)).toContain("plan:1:6: error[C004]: unknown tool `slep`");
    expect(textOf(r)).toContain("did you mean `sleep`?");
  });

  it("returns the errors of a failed run", async () => {
    const r = await call(client, "run_plan", { plan: '$a = fail("no luck")\nreturn $a' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/^the plan failed:\nline 1 .*no luck/);
  });

  it("puts the warnings of a failed run in its text too", async () => {
    const r = await call(client, "run_plan", {
      plan: '$unused = sleep("u", 1)\nreturn fail("no")',
    });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/\n\nwarnings:\nplan:1:1: warning\[/);
    expect(r.structuredContent?.["warnings"]).toContain("plan:1:1: warning[");
  });

  it("checks a plan", async () => {
    expect(textOf(await call(client, "check_plan", { plan: 'return sleep("a", 1)' }))).toBe("ok");
    const bad = textOf(await call(client, "check_plan", { plan: 'return sleep("a", "soon")' }));
    expect(bad).toContain("errors: 1 error, 0 warnings");
    expect(bad).toContain("plan:1:19: error[C009]");
  });

  it("describes the tools in Weft syntax", async () => {
    const text = textOf(await call(client, "describe_tools"));
    expect(text.split("\n")[0]).toBe(
      "sleep(name: string, ms: number, after?: any) -> string  # Waits `ms` milliseconds, then returns `name`. `after` only orders calls.",
    );
  });
});

describe("cancelling run_plan", () => {
  it("aborts the run's calls when the client cancels the request", async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let aborted!: () => void;
    const stopped = new Promise<void>((resolve) => (aborted = resolve));
    const waitForAbort: AnyTool = defineTool({
      name: "block",
      input: z.object({}),
      run: (_args, { signal }) =>
        new Promise((_resolve, reject) => {
          started();
          signal.addEventListener("abort", () => {
            aborted();
            reject(new Error("aborted"));
          });
        }),
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await createWeftMcpServer({ tools: [waitForAbort] }).connect(serverSide);
    const cancelling = new Client({ name: "test", version: "1.0.0" });
    await cancelling.connect(clientSide);
    const controller = new AbortController();
    const call = cancelling.callTool(
      { name: "run_plan", arguments: { plan: "return block()" } },
      undefined,
      { signal: controller.signal },
    );
    await running;
    controller.abort();
    await expect(call).rejects.toThrow();
    await stopped; // the tool saw its signal fire: the run was cancelled on the server
    await cancelling.close();
  });
});

describe("weft mcp (the real process, driven by the SDK's client)", () => {
  const dir = mkdtempSync(join(tmpdir(), "weft-mcp-server-"));
  // A tools module that writes to stdout: the protocol must survive it.
  writeFileSync(
    join(dir, "chatty.mjs"),
    `console.log("chatty: loaded");\nexport default [{ name: "chatty", inputSchema: {}, run: () => { console.log("chatty: called"); return "said it"; } }];\n`,
  );
  const client = new Client({ name: "test", version: "1.0.0" });
  let stderr = "";
  beforeAll(async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        bin,
        "mcp",
        "--tools",
        "test/fixtures/tools.ts",
        "--mcp",
        `node ${join(root, "test/fixtures/mcp/calc.mjs")}`,
        "--mcp",
        `chat=node ${join(root, "test/fixtures/mcp/slow.mjs")}`,
      ],
      cwd: root,
      stderr: "pipe",
    });
    transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await client.connect(transport);
  });
  afterAll(async () => {
    await client.close();
  });

  it("answers describe_tools with every source's signatures", async () => {
    const lines = textOf(await call(client, "describe_tools")).split("\n");
    expect(lines).toContain(
      "search(query: string, limit?: number) -> list of {title: string, url: string, score: number}  # web search",
    );
    expect(lines).toContain("calc.add(a: number, b: number) -> {sum: number}  # Adds two numbers");
    expect(lines).toContain(
      "chat.wait(label: string, ms: number) -> any  # Answers `label` after `ms` milliseconds",
    );
  });

  it("answers check_plan", async () => {
    const r = textOf(await call(client, "check_plan", { plan: "$x = serch(1)\nreturn $x" }));
    expect(r).toContain("plan:1:6: error[C004]: unknown tool `serch`");
  });

  it("answers run_plan over a tools module and MCP servers", async () => {
    const r = await call(client, "run_plan", {
      plan: '$s = calc.add(20, 22)\n$w = chat.wait("waited", ms: 10)\n$hits = search("x")\nreturn {sum: $s.sum, w: $w, hits: $hits}',
    });
    expect(r.isError).toBeUndefined();
    expect(r.structuredContent?.["value"]).toEqual({ sum: 42, w: "waited", hits: [] });
    expect(stderr).toContain("weft mcp: serving");
  });

  it("keeps stdout for the protocol when a tool prints", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [bin, "mcp", "--tools", "chatty.mjs"],
      cwd: dir,
      stderr: "pipe",
    });
    let chattyErr = "";
    transport.stderr?.on("data", (chunk: Buffer) => (chattyErr += chunk.toString()));
    const chatty = new Client({ name: "test", version: "1.0.0" });
    await chatty.connect(transport);
    try {
      const r = await call(chatty, "run_plan", { plan: "return chatty()" });
      expect(r.structuredContent?.["value"]).toBe("said it");
      expect(chattyErr).toContain("chatty: loaded");
      expect(chattyErr).toContain("chatty: called");
    } finally {
      await chatty.close();
    }
  });

  it("exits 2 with a message when a tool source cannot be opened", async () => {
    const r = await promisify(execFile)(
      process.execPath,
      [bin, "mcp", "--mcp", "weft-no-such-cmd"],
      {
        cwd: root,
      },
    ).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(r).toMatchObject({ code: 2, stdout: "" });
    expect(r.stderr).toContain("failed to start: command not found: weft-no-such-cmd");
  });
});

describe("weft run --mcp (the real process)", () => {
  it("runs a plan over an MCP server and exits 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-mcp-bin-"));
    writeFileSync(join(dir, "p.plan"), "$s = calc.add(1, 2)\nreturn $s.sum\n");
    const r = await promisify(execFile)(process.execPath, [
      bin,
      "run",
      join(dir, "p.plan"),
      "--mcp",
      `node ${join(root, "test/fixtures/mcp/calc.mjs")}`,
    ]);
    expect(r.stdout).toBe("3\n");
    expect(r.stderr).toBe("");
  });
});
