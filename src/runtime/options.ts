// Checking run options and tool settings before a run starts: a cap of 0
// would leave calls queued forever, so nonsense is an error up front.
import type { ToolSet } from "../compiler/tool.js";
import type { RunError, RunOptions } from "./types.js";

export const DEFAULT_MAX_NODES = 100_000;
export const DEFAULT_MAX_IN_FLIGHT = 10_000;
export const DEFAULT_MAX_RESULT_BYTES = 10 * 1024 * 1024;
/** The longest delay `setTimeout` can wait: 2^31 - 1 ms. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

type Rule = "count" | "positive" | "duration";

const RULES: Record<Rule, { test: (v: number) => boolean; expect: string }> = {
  // Caps: at least one call at a time; Infinity means no cap.
  count: {
    test: (v) => v === Infinity || (Number.isInteger(v) && v >= 1),
    expect: "a positive integer",
  },
  // Retries: zero or more.
  positive: { test: (v) => Number.isInteger(v) && v >= 0, expect: "a non-negative integer" },
  // Times in ms: a timer cannot wait longer than MAX_TIMEOUT_MS (setTimeout
  // fires at once instead), so longer ones are refused, not shortened.
  duration: {
    test: (v) => v === Infinity || (Number.isFinite(v) && v > 0 && v <= MAX_TIMEOUT_MS),
    expect: `a positive number of milliseconds, at most ${MAX_TIMEOUT_MS} (about 24.8 days), or Infinity for none`,
  },
};

/** Problems with the options and with the settings of the tools the plan uses. */
export function checkOptions(
  options: RunOptions,
  tools: ToolSet,
  used: Iterable<string>,
): RunError[] {
  const errors: RunError[] = [];
  const check = (what: string, value: unknown, rule: Rule) => {
    if (value === undefined) return;
    const { test, expect } = RULES[rule];
    if (typeof value !== "number" || !test(value))
      errors.push({
        kind: "input",
        message: `${what} must be ${expect}, but it is ${String(value)}`,
      });
  };
  check("option `concurrency`", options.concurrency, "count");
  for (const [name, cap] of Object.entries(options.toolConcurrency ?? {}))
    check(`option \`toolConcurrency[${JSON.stringify(name)}]\``, cap, "count");
  check("option `timeoutMs`", options.timeoutMs, "duration");
  check("option `callTimeoutMs`", options.callTimeoutMs, "duration");
  check("option `retries`", options.retries, "positive");
  check("option `limits.maxNodes`", options.limits?.maxNodes, "count");
  check("option `limits.maxInFlight`", options.limits?.maxInFlight, "count");
  check("option `limits.maxResultBytes`", options.limits?.maxResultBytes, "count");
  for (const name of new Set(used)) {
    const tool = tools.get(name);
    if (tool === undefined) continue;
    check(`tool \`${name}\`: \`concurrency\``, tool.concurrency, "count");
    check(`tool \`${name}\`: \`timeoutMs\``, tool.timeoutMs, "duration");
    check(`tool \`${name}\`: \`retries\``, tool.retries, "positive");
    if (
      tool.retryDelayMs !== undefined &&
      !(
        typeof tool.retryDelayMs === "number" &&
        tool.retryDelayMs >= 0 &&
        Number.isFinite(tool.retryDelayMs)
      )
    )
      errors.push({
        kind: "input",
        message: `tool \`${name}\`: \`retryDelayMs\` must be a non-negative number of milliseconds, but it is ${String(tool.retryDelayMs)}`,
      });
    if (typeof tool.run !== "function")
      errors.push({ kind: "input", message: `tool \`${name}\` has no \`run\` function` });
  }
  return errors;
}
