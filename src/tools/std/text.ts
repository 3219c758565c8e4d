// text.template, text.split, text.join and text.extract. A regex comes from a
// plan (that is, from a model), so text.extract runs it in a sandbox worker
// with a deadline: catastrophic backtracking costs a timeout, not the process.
import { z } from "zod";
import { defineTool, PermanentError } from "../../compiler/tool.js";
import { Sandbox } from "./sandbox.js";

/** Longest text the text tools take, in characters. */
export const MAX_TEXT_LENGTH = 1_000_000;
const MAX_PATTERN_LENGTH = 1000;
const MAX_MATCHES = 10_000;
const REGEX_TIMEOUT_MS = 1000;
const REGEX_MEMORY_MB = 64;

const text = () => z.string().max(MAX_TEXT_LENGTH);

// ## text.template

const PLACEHOLDER = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Fills `{name}` placeholders. `{{` and `}}` write a literal brace; any other
 * brace is kept as it is, so JSON in a template needs no escaping. Strings
 * are inserted as they are, other values as JSON; a missing key is an error.
 */
function fillTemplate(template: string, values: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (whole, name: string | undefined) => {
    if (name === undefined) return whole[0] as string;
    if (!Object.hasOwn(values, name))
      throw new PermanentError(`text.template: no value for {${name}}`);
    const value = values[name];
    return typeof value === "string" ? value : JSON.stringify(value ?? null);
  });
}

export function textTemplate() {
  return defineTool({
    name: "text.template",
    description:
      "Fills {name} placeholders from `values` ({{ and }} are literal braces); a missing name is an error",
    input: z.object({ template: text(), values: z.record(z.string(), z.unknown()) }),
    output: z.string(),
    pure: true,
    run: ({ template, values }) => fillTemplate(template, values),
  });
}

// ## text.split and text.join

export function textSplit() {
  return defineTool({
    name: "text.split",
    description:
      "Splits text at each `separator` (plain text, not a regex); with `limit`, the last piece keeps the rest",
    input: z.object({
      text: text(),
      separator: z.string(),
      limit: z.number().int().min(1).optional(),
    }),
    output: z.array(z.string()),
    pure: true,
    run({ text, separator, limit }) {
      const pieces = separator === "" ? Array.from(text) : text.split(separator);
      if (limit === undefined || pieces.length <= limit) return pieces;
      const rest = pieces.slice(limit - 1).join(separator);
      return [...pieces.slice(0, limit - 1), rest];
    },
  });
}

export function textJoin() {
  return defineTool({
    name: "text.join",
    description: 'Joins items into one text with `separator` between them (default ", ")',
    input: z.object({
      items: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])),
      separator: z.string().optional(),
    }),
    output: z.string(),
    pure: true,
    run: ({ items, separator }) => items.map((i) => String(i ?? "")).join(separator ?? ", "),
  });
}

// ## text.extract

const REGEX_WORKER = String.raw`
const { parentPort } = require("node:worker_threads");
parentPort.on("message", (job) => {
  try {
    const re = new RegExp(job.pattern, job.flags + "g");
    const out = [];
    for (const m of job.text.matchAll(re)) {
      out.push(m.length > 1 ? (m[1] === undefined ? "" : m[1]) : m[0]);
      if (out.length >= job.max) break;
    }
    parentPort.postMessage({ value: out });
  } catch (e) {
    parentPort.postMessage({ error: e && e.message ? e.message : String(e) });
  }
});
parentPort.postMessage({ ready: true });
`;

let sandbox: Sandbox | undefined;

function regexSandbox(): Sandbox {
  return (sandbox ??= new Sandbox({ source: REGEX_WORKER, maxMemoryMb: REGEX_MEMORY_MB }));
}

export function textExtract() {
  return defineTool({
    name: "text.extract",
    description:
      "Every match of a JavaScript regex: the first capture group if the pattern has one, else the whole match",
    input: z.object({
      text: text(),
      pattern: z.string().min(1).max(MAX_PATTERN_LENGTH),
      flags: z
        .string()
        .regex(/^[imsu]*$/, "flags are some of i, m, s, u")
        .optional(),
    }),
    output: z.array(z.string()),
    pure: true,
    async run({ text, pattern, flags }, ctx) {
      // Compiling is linear and synchronous: a bad pattern fails here, without a worker.
      try {
        new RegExp(pattern, `${flags ?? ""}g`);
      } catch (e) {
        throw new PermanentError(`text.extract: ${(e as Error).message}`);
      }
      try {
        return (await regexSandbox().run(
          { text, pattern, flags: flags ?? "", max: MAX_MATCHES },
          "the regex",
          REGEX_TIMEOUT_MS,
          ctx.signal,
        )) as string[];
      } catch (e) {
        if (e instanceof PermanentError) throw new PermanentError(`text.extract: ${e.message}`);
        throw e;
      }
    },
  });
}
