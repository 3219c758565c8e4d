// math.eval: mathjs's expression language (no JavaScript `eval` anywhere),
// restricted as the mathjs security guide recommends, run in a sandbox worker
// so that `ones(1e5, 1e5)` or a deep recursion cannot take the host down.
import { createRequire } from "node:module";
import { z } from "zod";
import { defineTool, PermanentError } from "../../compiler/tool.js";
import { Sandbox } from "./sandbox.js";

const MAX_EXPRESSION_LENGTH = 1000;
const MATH_TIMEOUT_MS = 2000;
const MATH_MEMORY_MB = 64;

// The worker, as plain CommonJS: it runs from a string, so it is the same
// under tsx, vitest and the built dist/.
const MATH_WORKER = String.raw`
const { parentPort, workerData } = require("node:worker_threads");
const { create, all } = require(workerData.mathjs);
const math = create(all);
const parse = math.parse;
const disabled = (name) => () => { throw new Error("function " + name + " is disabled"); };
// Functions that change the instance (its config too: calls must not leak into later
// ones) or turn text into code (mathjs docs, "Security").
math.import(
  Object.fromEntries(
    ["import", "createUnit", "evaluate", "parse", "compile", "simplify", "simplifyConstant",
     "simplifyCore", "derivative", "resolve", "rationalize", "reviver", "replacer", "leafCount",
     "symbolicEqual", "chain", "config", "help"].map((n) => [n, disabled(n)]),
  ),
  { override: true },
);
function toNumber(v) {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (math.isBigNumber(v) || math.isFraction(v)) return math.number(v);
  if (math.isUnit(v)) throw new Error("the result is a quantity with a unit (" + v.toString() + "); convert it with number(value, \"unit\")");
  if (math.isComplex(v)) throw new Error("the result is a complex number (" + v.toString() + ")");
  if (math.isMatrix(v) || Array.isArray(v)) throw new Error("the result is a matrix, not a number");
  if (v === undefined) throw new Error("the expression has no value");
  throw new Error("the result is not a number: " + math.format(v, { precision: 14 }));
}
parentPort.on("message", (job) => {
  try {
    const node = parse(job.expression);
    node.traverse((n) => {
      if (n.type === "FunctionAssignmentNode") throw new Error("defining functions is not allowed");
    });
    let value = node.compile().evaluate(new Map(Object.entries(job.scope)));
    if (math.typeOf(value) === "ResultSet") value = value.entries[value.entries.length - 1];
    const n = toNumber(value);
    if (!Number.isFinite(n)) throw new Error("the result is not a finite number (" + String(n) + ")");
    parentPort.postMessage({ value: n });
  } catch (e) {
    parentPort.postMessage({ error: e && e.message ? e.message : String(e) });
  }
});
parentPort.postMessage({ ready: true });
`;

let sandbox: Sandbox | undefined;

function mathSandbox(): Sandbox {
  return (sandbox ??= new Sandbox({
    source: MATH_WORKER,
    workerData: { mathjs: createRequire(import.meta.url).resolve("mathjs") },
    maxMemoryMb: MATH_MEMORY_MB,
  }));
}

export function mathEval() {
  return defineTool({
    name: "math.eval",
    description:
      "Evaluates a math expression to a number (mathjs syntax: + - * / ^, sqrt, log, round, units); `scope` gives variables",
    input: z.object({
      expression: z.string().max(MAX_EXPRESSION_LENGTH),
      scope: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.number()).optional(),
    }),
    output: z.number(),
    pure: true,
    async run({ expression, scope }, ctx) {
      try {
        return (await mathSandbox().run(
          { expression, scope: scope ?? {} },
          "the expression",
          MATH_TIMEOUT_MS,
          ctx.signal,
        )) as number;
      } catch (e) {
        if (e instanceof PermanentError) throw new PermanentError(`math.eval: ${e.message}`);
        throw e;
      }
    },
  });
}
