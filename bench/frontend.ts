// Front-end throughput: parse, check and compile generated plans of 1k, 10k
// and 100k statements. Each size runs in its own process so peak memory
// (max RSS) belongs to that size alone. `npm run bench` (after `npm run build`).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
// The built package (dist/, what users run), not the TypeScript sources.
import { check as checkSource, compile, parse } from "weft";
import { benchTools, generatePlan } from "./generate.js";

interface Row {
  statements: number;
  bytes: number;
  parseMs: number;
  checkMs: number;
  compileMs: number;
  jsonParseMs: number;
  maxRssMb: number;
  heapMb: number;
  nodes: number;
}

function best(runs: number, f: () => void): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    f();
    min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return min;
}

function measure(n: number): Row {
  const text = generatePlan(n);
  const runs = n >= 100_000 ? 3 : n >= 10_000 ? 5 : 20;
  // Warm up the JIT on a small plan first.
  for (let i = 0; i < 5; i++) compile(generatePlan(500, 7), { tools: benchTools });
  let nodes = 0;
  const parseMs = best(runs, () => void parse(text));
  const checkMs = best(runs, () => void checkSource(text, { tools: benchTools }));
  const compileMs = best(runs, () => {
    const r = compile(text, { tools: benchTools });
    if (r.graph === undefined)
      throw new Error(`generated plan does not compile: ${r.diagnostics[0]?.message}`);
    nodes = r.graph.nodes.length;
  });
  // Baseline in the same run: JSON.parse of a JSON document of the same size.
  const json = JSON.stringify(text.split("\n").map((line) => ({ line })));
  const jsonParseMs = best(runs, () => void JSON.parse(json)) * (text.length / json.length);
  return {
    statements: n,
    bytes: text.length,
    parseMs,
    checkMs,
    compileMs,
    jsonParseMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapMb: process.memoryUsage().heapUsed / 1024 / 1024,
    nodes,
  };
}

const sizeArg = process.argv.indexOf("--size");
if (sizeArg !== -1) {
  console.log(JSON.stringify(measure(Number(process.argv[sizeArg + 1]))));
} else {
  const sizes = [1_000, 10_000, 100_000];
  const rows: Row[] = sizes.map((n) => {
    const out = execFileSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), "--size", String(n)],
      {
        encoding: "utf8",
        maxBuffer: 1 << 20,
      },
    );
    return JSON.parse(out.trim().split("\n").pop() ?? "{}") as Row;
  });
  const mbps = (bytes: number, ms: number): string => (bytes / 1e6 / (ms / 1000)).toFixed(1);
  const kps = (n: number, ms: number): string =>
    Math.round(n / (ms / 1000)).toLocaleString("en-US");
  console.log(
    `Weft front end — node ${process.version}, ${process.platform}/${process.arch}; best of N runs`,
  );
  console.log("");
  console.log(
    "| statements | size | parse MB/s | parse+check MB/s | parse+check+compile MB/s | statements/s (all) | JSON.parse MB/s (same bytes) | front end / JSON.parse | graph nodes | max RSS |",
  );
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    console.log(
      `| ${r.statements.toLocaleString("en-US")} | ${(r.bytes / 1e6).toFixed(2)} MB | ${mbps(r.bytes, r.parseMs)} | ${mbps(r.bytes, r.checkMs)} | ${mbps(r.bytes, r.compileMs)} | ${kps(r.statements, r.compileMs)} | ${mbps(r.bytes, r.jsonParseMs)} | ${(r.jsonParseMs / r.compileMs).toFixed(3)} | ${r.nodes.toLocaleString("en-US")} | ${Math.round(r.maxRssMb)} MB |`,
    );
  }
}
