import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { JournalError, openJournal } from "../src/runtime/journal.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "weft-journal-"));
});

function rec(i: number, result: unknown = { i }) {
  return { nodeId: `n${i}`, tool: "search", argsHash: `h${i}`, occurrence: 0, result };
}

function lines(path: string): unknown[] {
  const text = readFileSync(path, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((l) => JSON.parse(l) as unknown);
}

describe("openJournal", () => {
  it("round trip: records are JSONL lines, found again after reopening", async () => {
    const path = join(dir, "j.jsonl");
    const j = await openJournal(path);
    expect(j.lookup("search", "h1", 0)).toBeUndefined();
    await j.record(rec(1, ["a", { b: 2 }]));
    await j.record({ ...rec(1, "second"), nodeId: "n9", occurrence: 1 });
    await j.record(rec(2, null));
    await j.close();

    const stored = lines(path) as Record<string, unknown>[];
    expect(stored).toHaveLength(3);
    expect(stored[0]).toMatchObject({
      v: 1,
      nodeId: "n1",
      tool: "search",
      argsHash: "h1",
      occurrence: 0,
      result: ["a", { b: 2 }],
    });
    expect(Object.keys(stored[0]!)).toEqual([
      "v",
      "nodeId",
      "tool",
      "argsHash",
      "occurrence",
      "result",
      "t",
    ]);
    expect(new Date(stored[0]!["t"] as string).toISOString()).toBe(stored[0]!["t"]);

    const again = await openJournal(path);
    expect(again.size).toBe(3);
    expect(again.lookup("search", "h1", 0)).toEqual({ result: ["a", { b: 2 }] });
    expect(again.lookup("search", "h1", 1)).toEqual({ result: "second" });
    expect(again.lookup("search", "h2", 0)).toEqual({ result: null });
    // The key is (tool, argsHash, occurrence): the node id does not matter.
    expect(again.lookup("other", "h1", 0)).toBeUndefined();
    expect(again.lookup("search", "h1", 2)).toBeUndefined();
    await again.close();
  });

  it("a record is in the file when record() resolves, and visible to lookup", async () => {
    const path = join(dir, "j.jsonl");
    const j = await openJournal(path);
    await j.record(rec(1));
    expect(lines(path)).toHaveLength(1);
    expect(j.lookup("search", "h1", 0)).toEqual({ result: { i: 1 } });
    await j.close();
  });

  it("a torn last line is dropped and truncated away before appending", async () => {
    const path = join(dir, "j.jsonl");
    const whole = [rec(1), rec(2)]
      .map((r) => JSON.stringify({ v: 1, ...r, t: new Date().toISOString() }))
      .join("\n");
    writeFileSync(path, `${whole}\n{"v":1,"nodeId":"n3","tool":"sea`);
    const j = await openJournal(path);
    expect(j.size).toBe(2);
    expect(j.lookup("search", "h3", 0)).toBeUndefined();
    expect(readFileSync(path, "utf8")).toBe(`${whole}\n`);
    await j.record(rec(3));
    await j.close();
    expect((lines(path) as { nodeId: string }[]).map((r) => r.nodeId)).toEqual(["n1", "n2", "n3"]);
  });

  it("a whole last record without its newline is kept, and the next one goes on its own line", async () => {
    const path = join(dir, "j.jsonl");
    writeFileSync(path, JSON.stringify({ v: 1, ...rec(1), t: "2025-01-01T00:00:00.000Z" }));
    const j = await openJournal(path);
    expect(j.lookup("search", "h1", 0)).toEqual({ result: { i: 1 } });
    await j.record(rec(2));
    await j.close();
    expect((lines(path) as { nodeId: string }[]).map((r) => r.nodeId)).toEqual(["n1", "n2"]);
  });

  it("blank lines are ignored", async () => {
    const path = join(dir, "j.jsonl");
    writeFileSync(path, `\n${JSON.stringify({ v: 1, ...rec(1), t: "x" })}\n\n`);
    const j = await openJournal(path);
    expect(j.size).toBe(1);
    await j.close();
  });

  it("a damaged line in the middle refuses to open, naming the line", async () => {
    const path = join(dir, "j.jsonl");
    const good = JSON.stringify({ v: 1, ...rec(1), t: "x" });
    writeFileSync(path, `${good}\nnot json\n${good}\n`);
    const err = await openJournal(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JournalError);
    expect((err as Error).message).toBe(
      `journal ${path} is damaged: line 2 is not valid JSON; remove that line (its call will run again) or delete the journal to start over`,
    );
    // Nothing was truncated or rewritten.
    expect(readFileSync(path, "utf8")).toBe(`${good}\nnot json\n${good}\n`);
  });

  it("a record of another format version, or with a missing field, is named", async () => {
    const path = join(dir, "j.jsonl");
    writeFileSync(path, `${JSON.stringify({ v: 2, ...rec(1), t: "x" })}\n{}\n`);
    await expect(openJournal(path)).rejects.toThrow(
      "line 1 is journal format version 2 (this weft reads version 1)",
    );
    writeFileSync(path, `${JSON.stringify({ v: 1, ...rec(1), argsHash: 3, t: "x" })}\n{}\n`);
    await expect(openJournal(path)).rejects.toThrow("line 1 is `argsHash` is not a string");
  });

  it("a missing directory is a clear error", async () => {
    const path = join(dir, "nope", "j.jsonl");
    await expect(openJournal(path)).rejects.toThrow(
      new JournalError(
        `cannot open journal ${path}: directory ${join(dir, "nope")}: no such file or directory`,
      ),
    );
  });

  it("a directory in place of the file is a clear error", async () => {
    await expect(openJournal(dir)).rejects.toThrow(
      /^cannot (open|read) journal .*: is a directory$/,
    );
  });

  it("concurrent records never interleave, and all resolve", async () => {
    const path = join(dir, "j.jsonl");
    const j = await openJournal(path);
    // Large lines: a write of this size is where interleaving would show.
    const big = "x".repeat(100_000);
    await Promise.all(Array.from({ length: 200 }, (_, i) => j.record(rec(i, `${i}:${big}`))));
    await j.close();
    const stored = lines(path) as { nodeId: string; result: string }[];
    expect(stored).toHaveLength(200);
    expect(new Set(stored.map((r) => r.nodeId)).size).toBe(200);
    for (const r of stored) expect(r.result).toBe(`${r.nodeId.slice(1)}:${big}`);
  });

  it("is reused across reopenings: old and new records add up", async () => {
    const path = join(dir, "j.jsonl");
    for (let round = 0; round < 3; round++) {
      const j = await openJournal(path);
      expect(j.size).toBe(round * 2);
      for (let k = 0; k < round * 2; k++)
        expect(j.lookup("search", `h${k}`, 0)).toEqual({ result: { i: k } });
      await Promise.all([j.record(rec(round * 2)), j.record(rec(round * 2 + 1))]);
      await j.close();
    }
    expect(lines(path)).toHaveLength(6);
  });

  it("rejects a record after close and a result that is not JSON", async () => {
    const j = await openJournal(join(dir, "j.jsonl"));
    await expect(j.record(rec(1, 10n))).rejects.toThrow(
      /the result of search \(n1\) is not JSON-serialisable/,
    );
    await j.close();
    await j.close();
    await expect(j.record(rec(2))).rejects.toThrow(/is closed/);
  });
});
