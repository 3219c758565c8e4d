// `weft run`: in-process through the harness, and as real processes (bin/weft.js).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { Trace, TraceEntry } from "../src/runtime/types.js";
import { weft } from "./cli-harness.js";
import { scratchDir } from "./fixtures/scratch.js";

const root = join(import.meta.dirname, "..");
const bin = join(root, "bin", "weft.js");
const example = (f: string) => join(root, "examples", f);
const exampleTools = example("tools.ts");
const runTools = join(root, "test", "fixtures", "run-tools.mjs");
const { dir, write } = scratchDir("weft-run-");

/**
 * Tools for the bugs below, written next to the test files: a tool that makes
 * a directory, tools that ignore their abort signal, a tool with a large
 * result. zod is imported by its file URL, since the module lives in a
 * temporary directory.
 */
function lateTools(): string {
  const path = join(dir, "late-tools.mjs");
  if (existsSync(path)) return path;
  const zod = pathToFileURL(join(root, "node_modules", "zod", "index.js")).href;
  writeFileSync(
    path,
    `import { mkdirSync } from "node:fs";
import { z } from ${JSON.stringify(zod)};
const later = ({ ms }) => new Promise((resolve) => setTimeout(() => resolve("late"), ms));
export default [
  { name: "mkdir", input: z.object({ path: z.string() }), run: ({ path }) => (mkdirSync(path), "made") },
  { name: "deaf", input: z.object({ ms: z.number() }), run: later },
  { name: "deafTimed", input: z.object({ ms: z.number() }), timeoutMs: 200, run: later },
  { name: "big", input: z.object({ n: z.number() }), run: ({ n }) => "x".repeat(n) },
];
`,
  );
  return path;
}

function readTrace(path: string): Trace {
  return JSON.parse(readFileSync(path, "utf8")) as Trace;
}

/** The side-effect log of run-tools.mjs: `start NAME` / `end NAME` lines. */
function logLines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];
}

function byId(trace: Trace): Map<string, TraceEntry> {
  return new Map(trace.nodes.map((n) => [n.id, n]));
}

/** Every node starts only after all its dependencies ended. */
function expectDepsRespected(trace: Trace): void {
  const nodes = byId(trace);
  for (const n of trace.nodes) {
    if (n.start === undefined) continue;
    for (const d of n.deps) {
      const dep = nodes.get(d);
      expect(dep, `${n.id} depends on ${d}`).toBeDefined();
      expect(dep!.end, `${d} ended`).toBeDefined();
      expect(n.start, `${n.id} starts after ${d} ends`).toBeGreaterThanOrEqual(dep!.end!);
    }
  }
}

/** The most calls in flight at once, from the trace (an end at t comes before a start at t). */
function maxOverlap(trace: Trace): number {
  const points: [number, number][] = [];
  for (const n of trace.nodes) {
    if (n.kind !== "call" || n.start === undefined || n.end === undefined) continue;
    points.push([n.start, 1], [n.end, -1]);
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, delta] of points) max = Math.max(max, (now += delta));
  return max;
}

const COMPARE_CITIES = `{
  "larger": "Tokyo",
  "difference": 11857350,
  "ratio": 6.6392409578389175,
  "sentence": "Tokyo has 11857350 more inhabitants than Paris (6.6392409578389175 times as many)."
}
`;

afterEach(() => {
  delete process.env["WEFT_TEST_LOG"];
});

describe("weft run: the examples", () => {
  it("compare-cities prints its object as indented JSON", async () => {
    const r = await weft(["run", example("compare-cities.plan"), "--tools", exampleTools]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(COMPARE_CITIES);
    expect(r.code).toBe(0);
  });

  it("city-research prints its string as it is", async () => {
    const r = await weft(["run", example("city-research.plan"), "--tools", exampleTools]);
    expect(r.stdout).toBe(
      "\nTopic: capital city population\nRead: Lima, Oslo, Paris\nCombined population: 12912360\nSummaries: 42 words\n",
    );
    expect(r.code).toBe(0);
  });

  it("languages fans out with each, results in list order", async () => {
    const r = await weft(["run", example("languages.plan"), "--tools", exampleTools, "--json"]);
    const out = JSON.parse(r.stdout) as { ok: boolean; value: { years: number[] } };
    expect(out.ok).toBe(true);
    expect(out.value.years).toEqual([2015, 2012, 2009]);
    expect(r.code).toBe(0);
  });
});

describe("weft run: output and flags", () => {
  it("--json prints { ok, value, errors }", async () => {
    const r = await weft(["run", example("compare-cities.plan"), "-t", exampleTools, "--json"]);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: true,
      value: JSON.parse(COMPARE_CITIES) as unknown,
      errors: [],
    });
    expect(r.code).toBe(0);
  });

  it("--arg overrides defaults; values are JSON when they parse, else text", async () => {
    const r = await weft([
      "run",
      example("compare-cities.plan"),
      "--tools",
      exampleTools,
      "--arg",
      "b=Lima",
      "--arg",
      '$a="Tokyo"',
      "--json",
    ]);
    const out = JSON.parse(r.stdout) as { value: { difference: number; sentence: string } };
    expect(out.value.difference).toBe(13960000 - 10092000);
    expect(out.value.sentence).toMatch(/^Tokyo has 3868000 more inhabitants than Lima/);

    const plan = write(
      "inputs.plan",
      "input $s: string\ninput $n: number = 1\ninput $xs: list = []\nreturn {s: $s, n: $n, xs: $xs}\n",
    );
    const typed = await weft(["run", plan, "--arg", "s=1999", "--arg", "n=2.5", "-a", "xs=[1,"]);
    // `xs=[1,` is not JSON, so it is text, and a list input refuses text.
    expect(typed.code).toBe(2);
    expect(typed.stderr).toContain("input `$xs` (line 3) must be a list");
    const ok = await weft(["run", plan, "--arg", "s=1999", "--arg", "n=2.5", "-a", 'xs=[1,"a"]']);
    // A `string` input keeps `1999` as text.
    expect(JSON.parse(ok.stdout)).toEqual({ s: "1999", n: 2.5, xs: [1, "a"] });
    expect(ok.code).toBe(0);
  });

  it("a missing required input is a usage error (exit 2) that names it", async () => {
    const plan = write("required.plan", "input $city: string\nreturn $city\n");
    const r = await weft(["run", plan]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${plan}: error: missing required input \`$city\` (line 1)`);
    expect(r.stderr).toContain("pass it with `--arg city=...`");
    expect(r.stderr).not.toContain("`inputs`");
    expect(r.code).toBe(2);
    const ok = await weft(["run", plan, "--arg", "city=Oslo"]);
    expect(ok.stdout).toBe("Oslo\n");
    expect(ok.code).toBe(0);
  });

  it("--arg __proto__=... is an unknown input like any other, not silently dropped", async () => {
    const plan = write("no-inputs.plan", "return 1\n");
    const r = await weft(["run", plan, "--arg", "__proto__=x"]);
    expect(r.stderr).toBe(
      `${plan}: error: unknown input \`$__proto__\` (the plan declares no inputs)\n`,
    );
    expect(r.stdout).toBe("");
    expect(r.code).toBe(2);
    const declared = write("proto-input.plan", "input $__proto__: string\nreturn $__proto__\n");
    const ok = await weft(["run", declared, "--arg", "__proto__=x"]);
    expect(ok).toEqual({ code: 0, stdout: "x\n", stderr: "" });
  });

  it("an unknown --arg name is a usage error with a suggestion", async () => {
    const r = await weft(["run", example("compare-cities.plan"), "-t", exampleTools, "-a", "c=x"]);
    expect(r.stderr).toContain("unknown input `$c`");
    expect(r.code).toBe(2);
  });

  const usage: [string, string[], string][] = [
    [
      "--arg without =",
      ["--arg", "city"],
      "weft: --arg expects name=value (like --arg city=Paris), got `city`\n",
    ],
    ["--arg twice", ["--arg", "a=1", "--arg", "a=2"], "weft: --arg a is given twice\n"],
    [
      "--concurrency 0",
      ["--concurrency", "0"],
      "weft: --concurrency expects a whole number of at least 1, got `0`\n",
    ],
    [
      "--concurrency 1.5",
      ["--concurrency", "1.5"],
      "weft: --concurrency expects a whole number of at least 1, got `1.5`\n",
    ],
    [
      "--timeout soon",
      ["--timeout", "soon"],
      "weft: --timeout expects a duration in milliseconds (> 0), got `soon`\n",
    ],
    [
      // A timer cannot wait longer: it would fire at once.
      "--timeout 2147483648",
      ["--timeout", "2147483648"],
      "weft: --timeout is at most 2147483647 ms (about 24.8 days), got `2147483648`\n",
    ],
  ];
  for (const [what, flags, message] of usage) {
    it(`${what} is a usage error (exit 2)`, async () => {
      const r = await weft(["run", example("compare-cities.plan"), "-t", exampleTools, ...flags]);
      expect(r.stderr).toBe(message);
      expect(r.stdout).toBe("");
      expect(r.code).toBe(2);
    });
  }

  it("--help documents the flags and exit codes", async () => {
    const r = await weft(["run", "--help"]);
    for (const flag of ["--tools", "--arg", "--concurrency", "--keep-going", "--journal"])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).toContain("130 interrupted");
    expect(r.code).toBe(0);
  });

  it("a missing plan file or tools module is a usage error (exit 2)", async () => {
    const missing = join(dir, "nope.plan");
    const r = await weft(["run", missing]);
    expect(r.stderr).toBe(`weft: cannot read ${missing}: no such file\n`);
    expect(r.code).toBe(2);
    const t = await weft(["run", example("compare-cities.plan"), "--tools", join(dir, "x.mjs")]);
    expect(t.stderr).toBe(`weft: cannot load tools from ${join(dir, "x.mjs")}: no such file\n`);
    expect(t.code).toBe(2);
  });

  it("a plan that does not compile exits 1 with its diagnostics", async () => {
    const plan = write("bad.plan", '$a = serch("x", 1)\nreturn $a\n');
    const r = await weft(["run", plan, "--tools", runTools]);
    expect(r.stderr).toContain(`${plan}:1:6: error[C004]: unknown tool \`serch\``);
    expect(r.stdout).toBe("");
    expect(r.code).toBe(1);
    const bare = await weft(["run", plan]);
    expect(bare.stderr).toContain("weft: no tools loaded: pass --tools MODULE\n");
    const json = await weft(["run", plan, "--tools", runTools, "--json"]);
    const out = JSON.parse(json.stdout) as {
      ok: boolean;
      value: unknown;
      errors: { kind: string; diagnostics: { code: string }[] }[];
    };
    expect(out.ok).toBe(false);
    expect(out.value).toBeNull();
    expect(out.errors[0]?.kind).toBe("plan");
    expect(out.errors[0]?.diagnostics[0]?.code).toBe("C004");
    expect(json.code).toBe(1);
  });

  it("--verbose prints one line per event on stderr", async () => {
    const plan = write(
      "two.plan",
      '$a = sleep("a", 1)\n$b = sleep("b", 1, after: $a)\nreturn $b\n',
    );
    const r = await weft(["run", plan, "--tools", runTools, "--verbose"]);
    expect(r.stdout).toBe("b\n");
    const events = r.stderr
      .trimEnd()
      .split("\n")
      .map((l) => l.replace(/\[ *[\d.]+ms\]/, "[T]").replace(/in [\d.]+ms/, "in Dms"));
    expect(events).toEqual([
      `weft: [T] queued    ${plan}:1 $a = sleep(...)`,
      `weft: [T] started   ${plan}:1 $a = sleep(...)`,
      `weft: [T] finished  ${plan}:1 $a = sleep(...) in Dms`,
      `weft: [T] queued    ${plan}:2 $b = sleep(...)`,
      `weft: [T] started   ${plan}:2 $b = sleep(...)`,
      `weft: [T] finished  ${plan}:2 $b = sleep(...) in Dms`,
    ]);
  });

  it("on a terminal, draws a progress line on stderr and erases it at the end", async () => {
    const plan = write("tty.plan", '$a = sleep("a", 250)\n$b = sleep("b", 250)\nreturn [$a, $b]\n');
    const r = await weft(["run", plan, "--tools", runTools], { tty: true });
    expect(r.stdout).toBe('[\n  "a",\n  "b"\n]\n');
    const frames = r.stderr.split("\r\x1b[2K");
    // The first frame comes with the first event; then one per 100 ms at most.
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames.length).toBeLessThanOrEqual(12);
    expect(frames[1]).toMatch(/^. 0 running · 0 done · 0\.0s$/);
    expect(frames.some((f) => /^. 2 running · 0 done · 0\.\ds {2}\$a, \$b$/.test(f))).toBe(true);
    // Erased at the end: nothing after the last clear.
    expect(frames.at(-1)).toBe("");
  });

  it("off a terminal and without --verbose, stderr stays empty", async () => {
    const plan = write("quiet.plan", 'sleep("a", 1)\n$x = 1\nreturn 1\n');
    const r = await weft(["run", plan, "--tools", runTools]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("1\n");
  });
});

describe("weft run: failures", () => {
  const plan = () =>
    write(
      "fail.plan",
      [
        '$a = fail("boom")',
        '$b = sleep("b", 5, after: $a)',
        '$c = sleep("c", 60)',
        '$d = sleep("d", 5, after: $c)',
        "return {c: $c, d: $d}",
        "",
      ].join("\n"),
    );

  it("a failing tool gives exit 1 and names its line", async () => {
    const file = plan();
    const trace = join(dir, "fail-trace.json");
    const r = await weft(["run", file, "--tools", runTools, "--trace", trace]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`${file}:1: error: $a = fail(...) failed: boom\n`);
    expect(r.code).toBe(1);
    // Fail-fast: the independent branch was cancelled, not finished.
    const nodes = [...byId(readTrace(trace)).values()];
    expect(nodes.map((n) => [n.binding, n.status])).toEqual([
      ["a", "failed"],
      ["b", "skipped"],
      ["c", "cancelled"],
      ["d", "skipped"],
    ]);
  });

  it("--json names the failed node and its line", async () => {
    const r = await weft(["run", plan(), "--tools", runTools, "--json"]);
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      errors: { kind: string; message: string; node: { binding: string; line: number } }[];
    };
    expect(out.ok).toBe(false);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]).toMatchObject({ kind: "tool", node: { binding: "a", line: 1 } });
    expect(out.errors[0]?.message).toContain("boom");
    expect(r.code).toBe(1);
  });

  it("--keep-going finishes the independent branches and skips the dependents", async () => {
    const file = plan();
    const trace = join(dir, "keep-trace.json");
    const r = await weft(["run", file, "--tools", runTools, "--keep-going", "--trace", trace]);
    expect(r.stdout).toBe('{\n  "c": "c",\n  "d": "d"\n}\n');
    expect(r.stderr).toBe(
      `${file}:1: error: $a = fail(...) failed: boom\nweft: skipped 1 node downstream of a failure\n`,
    );
    expect(r.code).toBe(1);
    const nodes = [...byId(readTrace(trace)).values()];
    expect(nodes.map((n) => [n.binding, n.status])).toEqual([
      ["a", "failed"],
      ["b", "skipped"],
      ["c", "ok"],
      ["d", "ok"],
    ]);
  });

  it("--timeout ends a run that takes too long (exit 1)", async () => {
    const file = write("slow.plan", '$a = sleep("a", 5000)\nreturn $a\n');
    const started = Date.now();
    const r = await weft(["run", file, "--tools", runTools, "--timeout", "100"]);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.stderr).toMatch(new RegExp(`^${file}: error: .*100 ?ms`));
    expect(r.code).toBe(1);
  });

  it("an interrupt aborts the run, says what finished, and exits 130", async () => {
    const file = write(
      "interrupt.plan",
      '$a = sleep("a", 1)\n$b = sleep("b", 5000, after: $a)\nreturn $b\n',
    );
    const log = join(dir, "interrupt.log");
    process.env["WEFT_TEST_LOG"] = log;
    let handler: (() => void) | undefined;
    let removed = false;
    const pending = weft(["run", file, "--tools", runTools], {
      onInterrupt: (h) => {
        handler = h;
        return () => void (removed = true);
      },
    });
    // $b started, so $a has finished.
    while (!logLines(log).includes("start b")) await new Promise((r) => setTimeout(r, 10));
    handler?.();
    const r = await pending;
    expect(r.code).toBe(130);
    expect(removed).toBe(true);
    expect(r.stderr).toContain("weft: interrupted: 1 of 2 calls finished: $a\n");
    expect(r.stderr).toContain(
      "weft: pass --journal FILE to keep finished calls for the next run\n",
    );
  });
});

describe("weft run: scheduling, seen in the trace", () => {
  it("--trace writes { makespanMs, nodes } with each entries spanning their children", async () => {
    const file = write(
      "each.plan",
      [
        'input $names: list = ["x", "y", "z"]',
        '$first = sleep("first", 5)',
        "$r = each $n in $names: sleep($n, 20, after: $first)",
        '$last = sleep("last", 5, after: $r)',
        "return $last",
        "",
      ].join("\n"),
    );
    const tracePath = join(dir, "each-trace.json");
    const r = await weft(["run", file, "--tools", runTools, "--trace", tracePath]);
    expect(r.code).toBe(0);
    const trace = readTrace(tracePath);
    expect(Object.keys(trace)).toEqual(["makespanMs", "nodes"]);
    for (const n of trace.nodes) {
      expect(n).toMatchObject({ status: "ok", attempts: expect.any(Number) as number });
      expect(["call", "each"]).toContain(n.kind);
      expect(n.start).toBeTypeOf("number");
      expect(n.end).toBeGreaterThanOrEqual(n.start!);
    }
    const each = trace.nodes.find((n) => n.kind === "each")!;
    const first = trace.nodes.find((n) => n.binding === "first")!;
    const last = trace.nodes.find((n) => n.binding === "last")!;
    const children = trace.nodes.filter((n) => n.parent === each.id);
    expect(each).toMatchObject({ binding: "r", deps: [first.id], line: 3 });
    expect(children).toHaveLength(3);
    for (const c of children) {
      expect(c).toMatchObject({ kind: "call", tool: "sleep", deps: [first.id], attempts: 1 });
      expect(c.start).toBeGreaterThanOrEqual(each.start!);
      expect(c.end).toBeLessThanOrEqual(each.end!);
    }
    expect(last.deps).toEqual([each.id]);
    expect(trace.makespanMs).toBe(Math.max(...trace.nodes.map((n) => n.end!)));
    expectDepsRespected(trace);
  });

  it("--concurrency 2 is never exceeded", async () => {
    const calls = Array.from({ length: 8 }, (_, i) => `$s${i} = sleep("s${i}", 30)`);
    const file = write(
      "wide.plan",
      [...calls, `return [${calls.map((_, i) => `$s${i}`).join(", ")}]`, ""].join("\n"),
    );
    const tracePath = join(dir, "wide-trace.json");
    const r = await weft(["run", file, "-t", runTools, "--concurrency", "2", "--trace", tracePath]);
    expect(r.code).toBe(0);
    const trace = readTrace(tracePath);
    expect(trace.nodes.filter((n) => n.status === "ok")).toHaveLength(8);
    expect(maxOverlap(trace)).toBe(2);
    // Unbounded, all eight overlap.
    await weft(["run", file, "-t", runTools, "--trace", tracePath]);
    expect(maxOverlap(readTrace(tracePath))).toBe(8);
  });

  it("a plan of sleeps finishes near its critical path, far below running in sequence", async () => {
    // root -> 12 chains of two 40 ms calls -> join: critical path 4 calls, 26 calls in all.
    const lines = ['$root = sleep("root", 40)'];
    const ends: string[] = [];
    for (let i = 0; i < 12; i++) {
      lines.push(`$a${i} = sleep("a${i}", 40, after: $root)`);
      lines.push(`$b${i} = sleep("b${i}", 40, after: $a${i})`);
      ends.push(`$b${i}`);
    }
    lines.push(`$join = sleep("join", 40, after: [${ends.join(", ")}])`, "return $join", "");
    const file = write("critical.plan", lines.join("\n"));
    const tracePath = join(dir, "critical-trace.json");
    const r = await weft(["run", file, "-t", runTools, "--trace", tracePath]);
    expect(r.stdout).toBe("join\n");
    const trace = readTrace(tracePath);
    expectDepsRespected(trace);

    // The critical path of the measured durations.
    const nodes = byId(trace);
    const finish = new Map<string, number>();
    const cp = (id: string): number => {
      const known = finish.get(id);
      if (known !== undefined) return known;
      const n = nodes.get(id)!;
      const v = n.end! - n.start! + Math.max(0, ...n.deps.map(cp));
      finish.set(id, v);
      return v;
    };
    const critical = Math.max(...trace.nodes.map((n) => cp(n.id)));
    const work = trace.nodes.reduce((s, n) => s + (n.end! - n.start!), 0);
    expect(work).toBeGreaterThan(5 * critical);
    expect(trace.makespanMs).toBeGreaterThanOrEqual(critical);
    // Generous: the target (1% + 5 ms) is measured by the bench, not asserted here.
    expect(trace.makespanMs).toBeLessThan(critical * 1.01 + 50);
  });
});

describe("weft run: the journal", () => {
  it("a second run reuses every finished call", async () => {
    const file = write(
      "journal.plan",
      '$a = sleep("a", 1)\n$b = each $x in ["p", "q"]: sleep($x, 1, after: $a)\nreturn $b\n',
    );
    const journal = join(dir, "journal.jsonl");
    const log = join(dir, "journal.log");
    process.env["WEFT_TEST_LOG"] = log;
    const first = await weft(["run", file, "-t", runTools, "--journal", journal]);
    expect(first.stdout).toBe('[\n  "p",\n  "q"\n]\n');
    expect(readFileSync(journal, "utf8").trim().split("\n")).toHaveLength(3);
    const tracePath = join(dir, "journal-trace.json");
    const second = await weft(["run", file, "-t", runTools, "-j", journal, "--trace", tracePath]);
    expect(second.stdout).toBe(first.stdout);
    expect(second.code).toBe(0);
    expect(logLines(log).filter((l) => l.startsWith("start"))).toEqual([
      "start a",
      "start p",
      "start q",
    ]);
    const calls = readTrace(tracePath).nodes.filter((n) => n.kind === "call");
    expect(calls.map((n) => n.fromJournal)).toEqual([true, true, true]);
  });

  it("a journal in a missing directory is a usage error (exit 2)", async () => {
    const journal = join(dir, "no-such-dir", "j.jsonl");
    const r = await weft([
      "run",
      example("compare-cities.plan"),
      "-t",
      exampleTools,
      "-j",
      journal,
    ]);
    expect(r.stderr).toContain(`cannot open journal ${journal}`);
    expect(r.stdout).toBe("");
    expect(r.code).toBe(2);
  });

  it("a --trace that is a directory is a usage error before anything runs", async () => {
    const file = write("trace-dir.plan", '$a = sleep("a", 1)\nreturn $a\n');
    const log = join(dir, "trace-dir.log");
    process.env["WEFT_TEST_LOG"] = log;
    const r = await weft(["run", file, "-t", runTools, "--trace", dir]);
    expect(r).toEqual({ code: 2, stdout: "", stderr: `weft: --trace ${dir}: is a directory\n` });
    expect(logLines(log)).toEqual([]);
  });

  it("a trace that cannot be written after the run is a warning: the result is printed", async () => {
    const trace = join(dir, "becomes-a-dir");
    const file = write("trace-late.plan", "input $p: string\n$a = mkdir($p)\nreturn $a\n");
    const r = await weft(["run", file, "-t", lateTools(), "--arg", `p=${trace}`, "--trace", trace]);
    expect(r).toEqual({
      code: 0,
      stdout: "made\n",
      stderr: `weft: warning: cannot write trace ${trace}: is a directory\n`,
    });
    const json = await weft([
      "run",
      file,
      "-t",
      lateTools(),
      "--arg",
      `p=${join(dir, "becomes-a-dir-2")}`,
      "--trace",
      join(dir, "becomes-a-dir-2"),
      "--json",
    ]);
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, value: "made", errors: [] });
    expect(json.stderr).toContain("weft: warning: cannot write trace");
    expect(json.code).toBe(0);
  });

  it("a --trace in a missing directory is a usage error before anything runs", async () => {
    const r = await weft([
      "run",
      example("compare-cities.plan"),
      "-t",
      exampleTools,
      "--trace",
      join(dir, "nope", "t.json"),
    ]);
    expect(r.stderr).toMatch(/^weft: --trace .*t\.json: no such directory /);
    expect(r.code).toBe(2);
  });
});

describe("weft run: the real process (bin/weft.js)", () => {
  it("the README's main command prints what the README says it prints", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const quick =
      /## Quick start\n\n```sh\nnpm install && npx (weft run .*)\n```\n\nprints\n\n```json\n([\s\S]*?)```/.exec(
        readme,
      );
    expect(quick?.[1]).toBe("weft run examples/compare-cities.plan --tools examples/tools.ts");
    const r = spawnSync(process.execPath, [bin, ...quick![1]!.split(" ").slice(1)], {
      cwd: root,
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(COMPARE_CITIES);
    expect(r.stdout).toBe(quick?.[2]);
    expect(r.status).toBe(0);
  });

  it("a failing tool exits 1 and names its line", () => {
    const file = write("proc-fail.plan", '$x = 1\n$a = fail("no luck")\nreturn $a\n');
    const r = spawnSync(process.execPath, [bin, "run", file, "--tools", runTools], {
      encoding: "utf8",
    });
    expect(r.stderr).toBe(`${file}:2: error: $a = fail(...) failed: no luck\n`);
    expect(r.status).toBe(1);
  });

  it("exits at the call timeout even though the tool ignores its signal and runs on", () => {
    const file = write("proc-deaf.plan", "$a = deafTimed(10000)\nreturn $a\n");
    const started = Date.now();
    const r = spawnSync(process.execPath, [bin, "run", file, "--tools", lateTools()], {
      encoding: "utf8",
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.stderr).toBe(`${file}:1: error: $a = deafTimed(...) failed: timed out after 200 ms\n`);
    expect(r.status).toBe(1);
  });

  it("exits at the --timeout deadline even though a tool ignores its signal and runs on", () => {
    const file = write("proc-deadline.plan", "$a = deaf(10000)\nreturn $a\n");
    const started = Date.now();
    const r = spawnSync(
      process.execPath,
      [bin, "run", file, "--tools", lateTools(), "--timeout", "200"],
      { encoding: "utf8" },
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.stderr).toBe(`${file}: error: the run exceeded its deadline of 200 ms (timeoutMs)\n`);
    expect(r.status).toBe(1);
  });

  it("exiting at once still writes all of a large result", () => {
    const file = write("proc-big.plan", "$a = big(3000000)\nreturn $a\n");
    const r = spawnSync(process.execPath, [bin, "run", file, "--tools", lateTools()], {
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(r.stderr).toBe("");
    expect(r.stdout.length).toBe(3_000_001);
    expect(r.stdout).toBe(`${"x".repeat(3_000_000)}\n`);
    expect(r.status).toBe(0);
  });

  /** Starts `weft run` as a child process; resolves once `ready()` holds, polling every 10 ms. */
  function startRun(args: string[], env: Record<string, string>) {
    const child = spawn(process.execPath, [bin, "run", ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => void (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => void (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on("close", (code, signal) => resolve({ code, signal })),
    );
    const until = async (ready: () => boolean, timeoutMs = 20_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (!ready()) {
        if (Date.now() > deadline) throw new Error(`timed out; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    return { child, exited, until, out: () => ({ stdout, stderr }) };
  }

  /** Whole records in a journal file (a torn last line is not one). */
  function journalRecords(path: string): { nodeId: string; result: string }[] {
    if (!existsSync(path)) return [];
    const text = readFileSync(path, "utf8");
    return text
      .split("\n")
      .slice(0, -1)
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { nodeId: string; result: string });
  }

  it("SIGINT aborts the run, reports what finished, and exits 130", async () => {
    const file = write(
      "sigint.plan",
      '$a = sleep("a", 1)\n$b = sleep("b", 10000, after: $a)\nreturn $b\n',
    );
    const journal = join(dir, "sigint.jsonl");
    const run = startRun([file, "--tools", runTools, "--journal", journal, "--verbose"], {});
    // $b started, so $a has finished (its record is in the journal).
    await run.until(() => /started {3}\S+:2 \$b = sleep/.test(run.out().stderr));
    expect(journalRecords(journal)).toHaveLength(1);
    const started = Date.now();
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(code).toBe(130);
    const { stdout, stderr } = run.out();
    expect(stdout).toBe("");
    expect(stderr).toContain("weft: interrupted: 1 of 2 calls finished: $a\n");
    expect(stderr).toContain(`run again with --journal ${journal} to reuse them`);
  });

  it("SIGINT exits at once even though a tool ignores its abort signal", async () => {
    const file = write("sigint-deaf.plan", "$a = deaf(10000)\nreturn $a\n");
    const run = startRun([file, "--tools", lateTools(), "--verbose"], {});
    await run.until(() => /started {3}\S+:1 \$a = deaf/.test(run.out().stderr));
    const started = Date.now();
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(code).toBe(130);
    expect(run.out().stderr).toContain("weft: interrupted: 0 of 1 calls finished\n");
  });

  it("killed with SIGKILL mid-run, a re-run with the same journal runs no finished call again", async () => {
    // A fan of 60 ms calls, two at a time: about half a second of work.
    const lines = ['$root = sleep("root", 60)'];
    const names: string[] = [];
    for (let i = 0; i < 8; i++) {
      lines.push(`$s${i} = sleep("s${i}", 60, after: $root)`);
      names.push(`$s${i}`);
    }
    lines.push(`$join = sleep("join", 60, after: [${names.join(", ")}])`);
    lines.push(`return [${names.join(", ")}, $join]`, "");
    const file = write("resume.plan", lines.join("\n"));
    const journal = join(dir, "resume.jsonl");
    const log = join(dir, "resume.log");
    const args = [file, "--tools", runTools, "--journal", journal, "--concurrency", "2"];

    const first = startRun(args, { WEFT_TEST_LOG: log });
    await first.until(() => journalRecords(journal).length >= 3);
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    const finished = journalRecords(journal).map((r) => r.result);
    expect(finished.length).toBeGreaterThanOrEqual(3);
    expect(finished.length).toBeLessThan(10);
    const startsBefore = logLines(log).filter((l) => l.startsWith("start ")).length;

    const tracePath = join(dir, "resume-trace.json");
    const second = startRun([...args, "--trace", tracePath], { WEFT_TEST_LOG: log });
    expect((await second.exited).code).toBe(0);
    expect(JSON.parse(second.out().stdout)).toEqual([
      ...Array.from({ length: 8 }, (_, i) => `s${i}`),
      "join",
    ]);
    const starts = logLines(log).filter((l) => l.startsWith("start "));
    // No call recorded before the kill started again...
    for (const name of finished)
      expect(
        starts.filter((l) => l === `start ${name}`),
        name,
      ).toHaveLength(1);
    // ...and the second run did run the rest.
    expect(starts.length - startsBefore).toBe(10 - finished.length);
    const fromJournal = readTrace(tracePath)
      .nodes.filter((n) => n.fromJournal === true)
      .map((n) => n.binding);
    expect(fromJournal).toHaveLength(finished.length);
    // The journal now holds every call once.
    expect(
      journalRecords(journal)
        .map((r) => r.result)
        .sort(),
    ).toEqual(["join", "root", ...Array.from({ length: 8 }, (_, i) => `s${i}`)].sort());
  });
});
