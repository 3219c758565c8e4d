// `weft run` and `weft check` with --mcp: plans over the tools of real MCP
// servers (test/fixtures/mcp/*.mjs), through the in-process CLI harness.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { Trace } from "../src/runtime/types.js";
import { weft } from "./cli-harness.js";

const root = resolve(import.meta.dirname, "..");
const server = (name: string) => `node ${join(root, "test/fixtures/mcp", `${name}.mjs`)}`;
const dir = mkdtempSync(join(tmpdir(), "weft-mcp-run-"));

function plan(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("weft run --mcp", () => {
  it("runs independent calls of an MCP server at the same time", async () => {
    const file = plan(
      "parallel.plan",
      '$a = slow.wait("a", ms: 300)\n$b = slow.wait("b", ms: 300)\nreturn [$a, $b]\n',
    );
    const trace = join(dir, "parallel.trace.json");
    const r = await weft(["run", file, "--mcp", server("slow"), "--trace", trace]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(["a", "b"]);
    const calls = (JSON.parse(readFileSync(trace, "utf8")) as Trace).nodes;
    const [a, b] = calls;
    expect(calls.map((n) => n.tool)).toEqual(["slow.wait", "slow.wait"]);
    // The two [start, end] intervals intersect.
    expect(a?.start).toBeLessThan(b?.end ?? 0);
    expect(b?.start).toBeLessThan(a?.end ?? 0);
  });

  it("passes results between servers and names a server with name=", async () => {
    const file = plan(
      "chain.plan",
      '$s = math.add(2, 3)\n$w = calc.word_count("one two three")\n$e = calc.echo("sum $s.sum, words ${w.words}")\nreturn $e\n',
    );
    const r = await weft(["run", file, "--mcp", `math=${server("calc")}`, "--mcp", server("calc")]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("sum 5, words 3\n");
  });

  it("calls a parameter a plan cannot spell by its rewritten name", async () => {
    const file = plan("truncate.plan", 'return calc.truncate("one two three", max_words: 2)\n');
    const r = await weft(["run", file, "--mcp", server("calc")]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("one two\n");
  });

  it("a server that crashes mid-call: exit 1, an error naming server and tool, no hang", async () => {
    const file = plan("crash.plan", "$x = crash.boom()\nreturn $x\n");
    const r = await weft(["run", file, "--mcp", server("crash")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "MCP server `crash`, tool `boom`: the server exited during the call (server stderr: crash.mjs: out of cheese)",
    );
  });

  it("an error result fails the call and says why", async () => {
    const file = plan("refuse.plan", '$x = failing.refuse("closed")\nreturn $x\n');
    const r = await weft(["run", file, "--mcp", server("failing"), "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { errors: { kind: string; message: string }[] };
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]?.kind).toBe("tool");
    expect(out.errors[0]?.message).toContain(
      "MCP server `failing`, tool `refuse`: refused: closed",
    );
  });

  it("a run deadline cancels a pending MCP call instead of waiting for it", async () => {
    const file = plan("deadline.plan", '$a = slow.wait("a", ms: 120000)\nreturn $a\n');
    const r = await weft(["run", file, "--mcp", server("slow"), "--timeout", "200", "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { errors: { kind: string }[] };
    expect(out.errors.map((e) => e.kind)).toContain("cancelled");
  }, 20_000);

  it("a server that does not start: exit 2 naming it", async () => {
    const file = plan("any.plan", "return 1\n");
    const r = await weft(["run", file, "--mcp", "weft-no-such-server --stdio"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "weft: MCP server `weft_no_such` (weft-no-such-server --stdio) failed to start: command not found: weft-no-such-server\n",
    );
  });

  it("a bad --mcp command line: exit 2", async () => {
    const file = plan("any.plan", "return 1\n");
    const r = await weft(["run", file, "--mcp", 'node "unclosed']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unterminated " quote');
  });
});

describe("weft check and compile --mcp", () => {
  it("checks calls against the servers' schemas", async () => {
    const file = plan("typed.plan", '$s = calc.add(1, "two")\nreturn calc.ech($s)\n');
    const r = await weft(["check", file, "--mcp", server("calc")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("argument `b` of `calc.add` expects number");
    expect(r.stdout).toContain("did you mean `calc.echo`?");
  });

  it("compiles with positional arguments mapped to the schema's names", async () => {
    const file = plan("add.plan", "return calc.add(1, 2)\n");
    const r = await weft(["compile", file, "--mcp", server("calc")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"a"');
    expect(r.stdout).toContain('"b"');
  });
});
