// `weft ask` against the scripted loopback OpenAI server, in-process (and
// once as a real process): every mode, repair, replanning, and the ways it
// fails (no model, no server, server error, timeout, no valid plan, Ctrl-C).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { weft } from "./cli-harness.js";
import {
  closeFakeOpenAIs,
  startFakeOpenAI,
  type FakeOpenAI,
  type Handler,
} from "./support/openai-server.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const exampleTools = join(root, "examples", "tools.ts");
const dir = mkdtempSync(join(tmpdir(), "weft-ask-"));

/**
 * A tool that tells the test when it starts (through a global: the CLI runs
 * in-process), for "the first tool starts before the planner's stream ends".
 */
function gateTools(): string {
  const path = join(dir, "gate-tools.mjs");
  const zod = pathToFileURL(join(root, "node_modules", "zod", "index.js")).href;
  writeFileSync(
    path,
    `import { z } from ${JSON.stringify(zod)};
export default [
  {
    name: "lookup",
    input: z.object({ key: z.string() }),
    output: z.string(),
    run: ({ key }) => {
      globalThis.__weftAskToolStarted?.(key);
      return "value of " + key;
    },
  },
];
`,
  );
  return path;
}

const PLAN = [
  "Thought: both populations are independent lookups.",
  "```weft",
  '$a = wiki.fact("Tokyo", "population")',
  '$b = wiki.fact("Paris", "population")',
  '$d = math("$a - $b")',
  "return {tokyo: $a, paris: $b, difference: $d}",
  "```",
].join("\n");
const ANSWER = "Tokyo has 11857350 more inhabitants than Paris (13960000 vs 2102650).";

/** Answers each request by its role (`roleOf` of its system message). */
function byRole(replies: Partial<Record<string, string | string[]>>): Handler {
  const seen = new Map<string, number>();
  return (req) => {
    const role = req.role ?? "unknown";
    const n = seen.get(role) ?? 0;
    seen.set(role, n + 1);
    const r = replies[role];
    const reply = Array.isArray(r) ? r[Math.min(n, r.length - 1)] : r;
    return reply ?? { status: 500, error: `no reply scripted for role ${role}` };
  };
}

const server = startFakeOpenAI;

beforeEach(() => {
  // The environment of whoever runs the tests must not choose the server or model.
  for (const name of ["OPENAI_BASE_URL", "OPENAI_API_KEY", "WEFT_MODEL", "OPENAI_MODEL"])
    vi.stubEnv(name, "");
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await closeFakeOpenAIs();
});

function ask(s: FakeOpenAI, ...extra: string[]): string[] {
  return [
    "ask",
    "How many more people live in Tokyo than in Paris?",
    "--tools",
    exampleTools,
    "--base-url",
    s.baseURL,
    "--model",
    "fake-model",
    ...extra,
  ];
}

interface Report {
  answer: string;
  ok: boolean;
  plan: string | null;
  plans: { role: string; text: string }[];
  mode: string;
  usage: {
    llmCalls: number;
    promptTokens: number;
    completionTokens: number;
    calls: { role: string; end: number }[];
  };
  timings: {
    totalMs: number;
    firstToolStartMs?: number;
    planCompleteMs?: number;
    executionMs?: number;
    solveMs?: number;
  };
  toolCalls: { tool: string; args: unknown; ok: boolean; start: number }[];
  notes: string[];
  error?: { kind: string; message: string };
}

function report(stdout: string): Report {
  return JSON.parse(stdout) as Report;
}

const noStack = (text: string): void => expect(text).not.toMatch(/\n\s+at /);

// ## The four modes
describe("weft ask answers in every mode", () => {
  it("plan: one planner call, the run, one solver call, with usage and timings", async () => {
    const s = await server(byRole({ planner: PLAN, solver: `Answer: ${ANSWER}` }));
    const r = await weft(ask(s, "--mode", "plan", "--json"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const j = report(r.stdout);
    expect(j).toMatchObject({ answer: ANSWER, ok: true, mode: "plan" });
    expect(j.plan).toContain('$d = math("$a - $b")');
    expect(j.notes).toEqual(["Thought: both populations are independent lookups."]);
    expect(j.usage.llmCalls).toBe(2);
    expect(j.usage.calls.map((c) => c.role)).toEqual(["planner", "solver"]);
    expect(j.usage.promptTokens).toBeGreaterThan(100);
    expect(j.usage.completionTokens).toBeGreaterThan(10);
    expect(j.toolCalls.map((c) => c.tool).sort()).toEqual(["math", "wiki.fact", "wiki.fact"]);
    expect(j.timings.totalMs).toBeGreaterThan(0);
    expect(j.timings.firstToolStartMs).toBeGreaterThanOrEqual(0);
    expect(j.timings.solveMs).toBeGreaterThanOrEqual(0);
    // the solver read the evidence
    const solver = s.requests.find((q) => q.role === "solver")!;
    expect(JSON.stringify(solver.messages)).toContain("13960000");
    expect(s.requests.every((q) => q.body.model === "fake-model")).toBe(true);
  });

  it("--solver auto: a plan that returns the answer as a sentence makes the only LLM call", async () => {
    const sentence = PLAN.replace(
      "return {tokyo: $a, paris: $b, difference: $d}",
      'return "Tokyo has $d more inhabitants than Paris ($a vs $b)."',
    );
    const s = await server(byRole({ planner: sentence, solver: "Answer: not asked" }));
    const r = await weft(ask(s, "--solver", "auto", "--json"));
    expect(r.code).toBe(0);
    const j = report(r.stdout);
    expect(j.answer).toBe(ANSWER);
    expect(j.usage.calls.map((c) => c.role)).toEqual(["planner"]);
    expect(s.requests[0]!.messages[0].content).toContain("as a sentence");
    // the default asks the solver
    const s2 = await server(byRole({ planner: sentence, solver: `Answer: ${ANSWER}` }));
    const always = report((await weft(ask(s2, "--json"))).stdout);
    expect(always.usage.calls.map((c) => c.role)).toEqual(["planner", "solver"]);
    expect((await weft(ask(s2, "--solver", "never"))).code).toBe(2);
  });

  it("stream (the default): the first tool starts while the planner is still writing", async () => {
    let started!: () => void;
    const toolStarted = new Promise<void>((resolve) => (started = resolve));
    (globalThis as Record<string, unknown>)["__weftAskToolStarted"] = () => started();
    let startedFirst = false;
    async function* planner(): AsyncIterable<string> {
      yield '$a = lookup("one")\n$b = look';
      // Held open until the first call started (a generous guard turns a hang into a failure).
      await Promise.race([
        toolStarted.then(() => (startedFirst = true)),
        new Promise((resolve) => setTimeout(resolve, 10_000)),
      ]);
      yield 'up("two")\nreturn [$a, $b]\n';
    }
    const handler = byRole({ solver: "Answer: value of one, value of two" });
    const s = await server((req) =>
      req.role === "planner" ? { chunks: planner() } : handler(req),
    );
    try {
      const r = await weft([
        "ask",
        "Look up one and two",
        "--tools",
        gateTools(),
        "--base-url",
        s.baseURL,
        "--model",
        "m",
        "--json",
      ]);
      expect(r.code).toBe(0);
      const j = report(r.stdout);
      expect(startedFirst).toBe(true);
      expect(j.mode).toBe("stream");
      expect(j.answer).toBe("value of one, value of two");
      const plannerEnd = j.usage.calls.find((c) => c.role === "planner")!.end;
      expect(j.timings.firstToolStartMs).toBeLessThan(plannerEnd);
      expect(j.toolCalls.map((c) => c.args)).toEqual([{ key: "one" }, { key: "two" }]);
    } finally {
      delete (globalThis as Record<string, unknown>)["__weftAskToolStarted"];
    }
  });

  it("stream, as text: the answer on stdout, events and plans on stderr with -v and --show-plan", async () => {
    const s = await server(byRole({ planner: PLAN, solver: `**Answer:** ${ANSWER}` }));
    const r = await weft(ask(s, "-v", "--show-plan"));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${ANSWER}\n`);
    expect(r.stderr).toMatch(/llm planner request/);
    expect(r.stderr).toMatch(/llm planner done: \d+ prompt \+ \d+ completion tokens/);
    // Plan lines, as --show-plan prints the plan (the reply has a `Thought:` line and a fence first).
    expect(r.stderr).toContain('plan line 1: $a = wiki.fact("Tokyo", "population")');
    // A call that is its whole statement is shown as that statement, arguments included.
    expect(r.stderr).toMatch(/tool started +\$a = wiki\.fact\("Tokyo", "population"\)\n/);
    expect(r.stderr).toMatch(/tool finished .*math/);
    expect(r.stderr).toContain("--- plan 1\n$a = wiki.fact(");
    expect(r.stderr).toContain("--- notes\nThought: both populations are independent lookups.");
    expect(r.stderr).toMatch(
      /weft: stream mode: 2 LLM calls, \d+ prompt \+ \d+ completion tokens, 3 tool calls; \d+\.\d\d s total; first tool at \d+\.\d\d s\n/,
    );
    noStack(r.stderr);
  });

  it("react: native tool calls, one per turn, the whole conversation re-sent", async () => {
    const s = await server([
      { toolCalls: [{ name: "wiki_fact", arguments: { title: "Tokyo", fact: "population" } }] },
      { toolCalls: [{ name: "wiki_fact", arguments: { title: "Paris", fact: "population" } }] },
      { toolCalls: [{ name: "math", arguments: { expression: "13960000 - 2102650" } }] },
      ANSWER,
    ]);
    const r = await weft(ask(s, "--mode", "react", "--json"));
    expect(r.code).toBe(0);
    const j = report(r.stdout);
    expect(j).toMatchObject({ answer: ANSWER, ok: true, mode: "react", plan: null });
    expect(j.usage.llmCalls).toBe(4);
    expect(j.toolCalls.map((c) => c.tool)).toEqual(["wiki.fact", "wiki.fact", "math"]);
    expect(s.requests.map((q) => q.role)).toEqual(["react", "react", "react", "react"]);
    expect(s.requests[0]!.body.parallel_tool_calls).toBe(false);
    expect(s.requests[3]!.messages.length).toBeGreaterThan(s.requests[0]!.messages.length);
  });

  it("fc: several tool calls in one turn, run concurrently", async () => {
    const s = await server([
      {
        toolCalls: [
          { name: "wiki_fact", arguments: { title: "Tokyo", fact: "population" } },
          { name: "wiki_fact", arguments: { title: "Paris", fact: "population" } },
        ],
      },
      ANSWER,
    ]);
    const r = await weft(ask(s, "--mode", "fc", "--json"));
    expect(r.code).toBe(0);
    const j = report(r.stdout);
    expect(j).toMatchObject({ answer: ANSWER, mode: "fc" });
    expect(j.usage.llmCalls).toBe(2);
    expect(j.toolCalls).toHaveLength(2);
    expect(s.requests[0]!.body.parallel_tool_calls).toBe(true);
    expect(s.requests[0]!.role).toBe("fc");
  });

  it("rewoo plan format: the model writes ReWOO, Weft runs it", async () => {
    const rewoo = [
      "Plan: Read both articles; they do not depend on each other.",
      "#E1 = wiki.page[Tokyo]",
      "#E2 = wiki.page[Paris]",
    ].join("\n");
    const s = await server(byRole({ planner: rewoo, solver: "Answer: both are capitals" }));
    const r = await weft(ask(s, "--plan-format", "rewoo", "--mode", "plan", "--json"));
    expect(r.code).toBe(0);
    const j = report(r.stdout);
    expect(j.answer).toBe("both are capitals");
    expect(j.plan).toContain('$E1 = wiki.page("Tokyo")');
    expect(j.toolCalls).toHaveLength(2);
    expect(s.requests[0]!.messages[0].content).toContain("#E<n> = Tool[input]");
  });
});

// ## Repair and replanning
describe("weft ask repairs and replans", () => {
  it("a broken plan gets repaired", async () => {
    const broken = '$a = wiki.facts("Tokyo", "population")\nreturn $a';
    const fixed = '$a = wiki.fact("Tokyo", "population")\nreturn $a';
    const s = await server(byRole({ planner: broken, repair: fixed, solver: "Answer: 13960000" }));
    const r = await weft(ask(s, "--show-plan"));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("13960000\n");
    expect(r.stderr).toContain("--- plan 1 (1 error)\n$a = wiki.facts(");
    expect(r.stderr).toContain("--- repaired plan 2\n$a = wiki.fact(");
    const repair = s.requests.find((q) => q.role === "repair")!;
    const user = repair.messages[1].content as string;
    expect(user).toContain('1 | $a = wiki.facts("Tokyo", "population")');
    expect(user).toContain("wiki.facts");
  });

  it("the solver asks for a new plan, which sees the previous plan and its results", async () => {
    const first = '$a = wiki.fact("Tokyo", "population")\nreturn $a';
    const second = '$b = wiki.fact("Lima", "population")\nreturn $b';
    const s = await server(
      byRole({
        planner: first,
        replan: second,
        solver: ["Replan: the question also needs Lima (the population)", "Answer: 10092000"],
      }),
    );
    const r = await weft(ask(s, "--json", "--max-replans", "1"));
    expect(r.code).toBe(0);
    const j = report(r.stdout);
    expect(j.answer).toBe("10092000");
    expect(j.plans.map((p) => p.role)).toEqual(["planner", "replan"]);
    expect(s.requests.map((q) => q.role)).toEqual(["planner", "solver", "replan", "solver"]);
    const replan = JSON.stringify(s.requests[2]!.messages);
    expect(replan).toContain("13960000");
    expect(replan).toContain("also needs Lima (the population)");
  });
});

// ## Failures: one clear line, the right exit status, no stack trace
describe("weft ask fails clearly", () => {
  it("no model is a usage error (exit 2)", async () => {
    const r = await weft([
      "ask",
      "Q?",
      "--tools",
      exampleTools,
      "--base-url",
      "http://127.0.0.1:1/v1",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "weft: no model: pass --model NAME (or set WEFT_MODEL or OPENAI_MODEL)\n",
    );
  });

  it("the model may come from WEFT_MODEL or OPENAI_MODEL", async () => {
    const s = await server(byRole({ planner: PLAN, solver: "Answer: yes" }));
    vi.stubEnv("OPENAI_MODEL", "from-openai-model");
    const args = ask(s).filter((a) => a !== "--model" && a !== "fake-model");
    expect((await weft(args)).code).toBe(0);
    vi.stubEnv("WEFT_MODEL", "from-weft-model");
    expect((await weft(args)).code).toBe(0);
    expect(s.requests.map((q) => q.body.model)).toEqual([
      "from-openai-model",
      "from-openai-model",
      "from-weft-model",
      "from-weft-model",
    ]);
  });

  it("the server may come from OPENAI_BASE_URL", async () => {
    const s = await server(byRole({ planner: PLAN, solver: "Answer: yes" }));
    vi.stubEnv("OPENAI_BASE_URL", s.baseURL);
    const args = ask(s).filter((a) => a !== "--base-url" && a !== s.baseURL);
    const r = await weft(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("yes\n");
    expect(s.requests.map((q) => q.role)).toEqual(["planner", "solver"]);
  });

  it("bad flags and missing tools are usage errors (exit 2)", async () => {
    const base = ["ask", "Q?", "--model", "m", "--base-url", "http://127.0.0.1:1/v1"];
    const mode = await weft([...base, "--tools", exampleTools, "--mode", "chat"]);
    expect(mode.code).toBe(2);
    expect(mode.stderr).toContain("--mode <mode>' argument 'chat' is invalid");
    const repairs = await weft([...base, "--tools", exampleTools, "--max-repairs", "two"]);
    expect(repairs).toMatchObject({
      code: 2,
      stderr: "weft: --max-repairs expects a whole number (0 or more), got `two`\n",
    });
    const tools = await weft(base);
    expect(tools).toMatchObject({
      code: 2,
      stderr: "weft: no tools: pass --tools MODULE (or --std, --mcp COMMAND)\n",
    });
  });

  it("no base URL and no key: exit 1 with what to pass", async () => {
    const r = await weft(["ask", "Q?", "--tools", exampleTools, "--model", "m"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("weft: no model server: pass --base-url URL");
    expect(r.stdout).toBe("");
    noStack(r.stderr);
  });

  it("a server that is not there: exit 1, one line naming it", async () => {
    const s = await server([]);
    await s.close();
    const r = await weft(ask(s));
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.at(-1)).toMatch(/^weft: .*(connect|reach|refused)/i);
    noStack(r.stderr);
  });

  it("a server error: exit 1, the status in the message; --json carries the error", async () => {
    const s = await server([{ status: 500, error: "model exploded" }]);
    const r = await weft(ask(s));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/weft: .*500/);
    noStack(r.stderr);
    const s2 = await server([{ status: 500, error: "model exploded" }]);
    const j = await weft(ask(s2, "--json"));
    expect(j.code).toBe(1);
    expect(report(j.stdout)).toMatchObject({ ok: false, answer: "", error: { kind: "http" } });
  });

  it("a server that never answers: --timeout ends the ask, exit 1", async () => {
    const s = await server([{ hang: true }]);
    const r = await weft(ask(s, "--timeout", "300"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/weft: (timed out after 300 ms|.*timed out)/);
    noStack(r.stderr);
  });

  it("a model that never writes a valid plan: exit 1 with the last diagnostics", async () => {
    const s = await server(
      byRole({
        planner: "$a = nosuch.tool(1)\nreturn $a",
        repair: "$a = nosuch.tool(2)\nreturn $a",
      }),
    );
    const r = await weft(ask(s, "--max-repairs", "1"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^weft: no valid plan after 1 repair/m);
    expect(r.stderr).toContain("nosuch.tool");
    expect(s.requests.map((q) => q.role)).toEqual(["planner", "repair"]);
    noStack(r.stderr);
  });

  it("Ctrl-C aborts the ask: exit 130", async () => {
    let interrupt: (() => void) | undefined;
    const s = await server((req) => {
      if (req.index === 0) setImmediate(() => interrupt?.());
      return { hang: true };
    });
    const r = await weft(ask(s), {
      onInterrupt: (handler) => {
        interrupt = handler;
        return () => (interrupt = undefined);
      },
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("weft: interrupted\n");
    noStack(r.stderr);
  });
});

// ## Files and the real binary
describe("weft ask output files and the built CLI", () => {
  it("--trace writes the run's trace, the tool calls and the usage", async () => {
    const s = await server(byRole({ planner: PLAN, solver: "Answer: 11857350" }));
    const file = join(dir, "ask-trace.json");
    const r = await weft(ask(s, "--trace", file, "--mode", "plan"));
    expect(r.code).toBe(0);
    const t = JSON.parse(readFileSync(file, "utf8")) as {
      trace: { nodes: unknown[] };
      toolCalls: unknown[];
      usage: { llmCalls: number };
    };
    expect(t.trace.nodes.length).toBeGreaterThanOrEqual(3);
    expect(t.toolCalls).toHaveLength(3);
    expect(t.usage.llmCalls).toBe(2);
  });

  it("--trace into a directory that does not exist fails before asking the model (exit 2)", async () => {
    const s = await server(byRole({ planner: PLAN, solver: "Answer: 11857350" }));
    const r = await weft(ask(s, "--trace", join(dir, "no-such-dir", "t.json")));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--trace");
    expect(r.stderr).toContain("no such directory");
    expect(s.requests).toHaveLength(0);
  });

  it("runs as a real process (bin/weft.js)", async () => {
    const s = await server(byRole({ planner: PLAN, solver: `Answer: ${ANSWER}` }));
    const run = promisify(execFile);
    const { stdout, stderr } = await run(
      process.execPath,
      [join(root, "bin", "weft.js"), ...ask(s, "--json")],
      {
        cwd: root,
        env: { ...process.env, OPENAI_BASE_URL: "", OPENAI_API_KEY: "", WEFT_MODEL: "" },
      },
    );
    expect(stderr).toBe("");
    const j = report(stdout);
    expect(j).toMatchObject({ ok: true, answer: ANSWER, mode: "stream" });
    expect(j.usage.llmCalls).toBe(2);
  });
});

describe("docs/agent.md", () => {
  it("names only flags that `weft ask` has", async () => {
    const doc = readFileSync(join(root, "docs", "agent.md"), "utf8");
    const usage = /```text\n(weft ask[\s\S]*?)```/.exec(doc)![1]!;
    const cli = doc.slice(doc.indexOf("## The CLI"), doc.indexOf("## The API"));
    const table = cli.split("\n").filter((l) => l.startsWith("| `"));
    const flags = new Set(
      [...`${usage}\n${table.join("\n")}`.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]),
    );
    expect(flags.size).toBeGreaterThan(12);
    const help = (await weft(["ask", "--help"])).stdout;
    for (const flag of flags) expect(help, flag).toContain(flag);
  });
});
