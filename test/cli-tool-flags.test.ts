// The tool-source flags every tool-using command shares: --tools, --mcp,
// --std and the capability grants --allow-net/--allow-read/--allow-write,
// and tool names that two sources define.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { weft } from "./cli-harness.js";

const root = resolve(import.meta.dirname, "..");
const calc = `node ${join(root, "test/fixtures/mcp/calc.mjs")}`;
const dir = mkdtempSync(join(tmpdir(), "weft-tool-flags-"));
writeFileSync(join(dir, "notes.txt"), "hello from a file");
writeFileSync(join(dir, "math.plan"), '$x = math.eval("6 * 7")\nreturn $x\n');
writeFileSync(join(dir, "read.plan"), 'return file.read("notes.txt")\n');
writeFileSync(join(dir, "fetch.plan"), 'return http.get("http://example.invalid/x")\n');
const tool = (name: string) =>
  `export default [{ name: ${JSON.stringify(name)}, inputSchema: {}, run: () => 1 }];\n`;
writeFileSync(join(dir, "dup-std.mjs"), tool("math.eval"));
writeFileSync(join(dir, "dup-mcp.mjs"), tool("calc.add"));

describe("--std", () => {
  it("lets check see the model that llm.complete will use (--model, --base-url)", async () => {
    writeFileSync(join(dir, "llm.plan"), 'return llm.complete("hi")\n');
    const denied = await weft(["check", "llm.plan", "--std"], { cwd: dir });
    if (process.env["WEFT_MODEL"] === undefined && process.env["OPENAI_MODEL"] === undefined)
      expect(denied.stdout + denied.stderr).toContain("C020");
    const configured = await weft(
      ["check", "llm.plan", "--std", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"],
      { cwd: dir },
    );
    expect(configured.code).toBe(0);
    expect(configured.stdout + configured.stderr).not.toContain("C020");
  });

  it("loads the standard library for check and run", async () => {
    expect((await weft(["check", "math.plan", "--std"], { cwd: dir })).code).toBe(0);
    const r = await weft(["run", "math.plan", "--std"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("42\n");
  });

  it("grants file reads under --allow-read, and names the flag when it is missing", async () => {
    const granted = await weft(["run", "read.plan", "--std", "--allow-read", "."], { cwd: dir });
    expect(granted.stdout).toBe("hello from a file\n");
    const denied = await weft(["run", "read.plan", "--std"], { cwd: dir });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("run with --allow-read DIR");
  });

  it("takes --allow-net as a comma-separated list, and names the flag for other hosts", async () => {
    const r = await weft(["run", "fetch.plan", "--std", "--allow-net", "a.example, b.example"], {
      cwd: dir,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("run with --allow-net example.invalid");
  });

  it.each(["--allow-net", "--allow-read", "--allow-write"])(
    "%s without --std is a usage error for run, check, compile and import",
    async (flag) => {
      for (const args of [
        ["run", "math.plan"],
        ["check", "math.plan"],
        ["compile", "math.plan"],
        ["import", "--from", "rewoo", "math.plan"],
      ]) {
        const r = await weft([...args, flag, "x"], { cwd: dir });
        expect(r.code).toBe(2);
        expect(r.stderr).toBe(
          `weft: ${flag} grants the standard library a capability: add --std\n`,
        );
      }
    },
  );
});

describe("a tool name two sources define", () => {
  it("--tools and --std", async () => {
    const r = await weft(["check", "math.plan", "--tools", "dup-std.mjs", "--std"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "weft: tool `math.eval` is defined twice: by --tools dup-std.mjs and by --std\n",
    );
  });

  it("--tools and --mcp, with a hint to name the server", async () => {
    const r = await weft(["check", "math.plan", "--tools", "dup-mcp.mjs", "--mcp", calc], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'weft: tool `calc.add` is defined twice: by --tools dup-mcp.mjs and by --mcp server `calc` (name the server with --mcp "NAME=command ...")\n',
    );
  });
});

describe("help", () => {
  it.each(["check", "compile", "run", "mcp"])(
    "weft %s --help lists the tool flags",
    async (cmd) => {
      const r = await weft([cmd, "--help"]);
      expect(r.code).toBe(0);
      for (const flag of [
        "--tools",
        "--mcp",
        "--std",
        "--allow-net",
        "--allow-read",
        "--allow-write",
      ])
        expect(r.stdout).toContain(flag);
    },
  );

  it("weft mcp --help says how to register it and its exit codes", async () => {
    const r = await weft(["mcp", "--help"]);
    expect(r.stdout).toContain('"command": "npx", "args": ["weft", "mcp"');
    expect(r.stdout).toContain("Exit status: 0");
  });
});

describe("a missing plan file", () => {
  it.each([["run"], ["check"], ["compile"]])(
    "%s says so before starting any MCP server",
    async (cmd) => {
      const r = await weft([cmd, "missing.plan", "--mcp", "no-such-mcp-command"], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe("weft: cannot read missing.plan: no such file\n");
    },
  );
});

describe("--tools", () => {
  it("quotes a tool name a plan cannot call", async () => {
    // A keyword cannot be called either: `in(...)` would not parse.
    for (const [i, name] of ["bad tool", "in", "web.return"].entries()) {
      const module = `bad-name-${i}.mjs`;
      writeFileSync(join(dir, module), `export default [{ name: "${name}", run: () => 1 }];\n`);
      const r = await weft(["check", "math.plan", "--tools", module], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `weft: tool #1 of ${module} needs a \`name\` like \`search\` or \`web.search\` (not "${name}")\n`,
      );
    }
  });

  // Under vitest the import goes through vite, so only the real bin shows how Node loads it.
  it("loads a TypeScript module from a CommonJS package (no `type: module`), as a real process", () => {
    const cjs = mkdtempSync(join(tmpdir(), "weft-tools-cjs-"));
    writeFileSync(join(cjs, "package.json"), "{}\n");
    writeFileSync(
      join(cjs, "tools.ts"),
      'const one: number = 1;\nexport default [{ name: "one", inputSchema: {}, run: () => one }];\n',
    );
    const r = spawnSync(
      process.execPath,
      [join(root, "bin", "weft.js"), "run", "-", "--tools", "tools.ts"],
      { cwd: cjs, encoding: "utf8", input: "return one()\n" },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("1\n");
  });
});
