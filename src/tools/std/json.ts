// json.parse and json.get. The path reader is written by hand and reads only
// own properties of objects and items of arrays: `constructor`, `__proto__`
// and friends are never reached through the prototype.
import { z } from "zod";
import { defineTool, PermanentError } from "../../compiler/tool.js";
import { MAX_TEXT_LENGTH } from "./text.js";

const MAX_JSON_LENGTH = 10 * MAX_TEXT_LENGTH;
const MAX_PATH_LENGTH = 1000;

export function jsonParse() {
  return defineTool({
    name: "json.parse",
    description: "Parses JSON text into a value",
    input: z.object({ text: z.string().max(MAX_JSON_LENGTH) }),
    output: z.unknown(),
    pure: true,
    run({ text }) {
      try {
        return JSON.parse(text) as unknown;
      } catch (e) {
        throw new PermanentError(`json.parse: ${(e as Error).message}`);
      }
    },
  });
}

// ## Paths: `a.b[0].c`, `items[-1]`, `["key with spaces"]`, optionally after `$`

export type PathStep = string | number;

/** The steps of a path; throws a PermanentError that points at the first bad character. */
function parsePath(path: string): PathStep[] {
  const steps: PathStep[] = [];
  let i = path.startsWith("$") ? 1 : 0;
  const fail = (what: string): never => {
    throw new PermanentError(`json.get: bad path ${JSON.stringify(path)} at ${i + 1}: ${what}`);
  };
  while (i < path.length) {
    const c = path[i];
    if (c === "[") {
      const rest = path.slice(i + 1);
      const index = /^(-?\d+)\]/.exec(rest);
      if (index !== null) {
        steps.push(Number(index[1]));
        i += 1 + index[0].length;
        continue;
      }
      const quoted = /^("(?:[^"\\]|\\.)*")\]/.exec(rest);
      if (quoted === null) fail('expected `[n]` or `["key"]`');
      try {
        steps.push(JSON.parse((quoted as RegExpExecArray)[1] as string) as string);
      } catch {
        fail("bad quoted key");
      }
      i += 1 + (quoted as RegExpExecArray)[0].length;
      continue;
    }
    if (c === ".") i++;
    else if (steps.length > 0 || i > (path.startsWith("$") ? 1 : 0)) fail("expected `.` or `[`");
    const name = /^[^.[\]]+/.exec(path.slice(i));
    if (name === null) fail("expected a field name");
    steps.push((name as RegExpExecArray)[0]);
    i += (name as RegExpExecArray)[0].length;
  }
  return steps;
}

/** The path so far, written so that it reads back the same: a key with `.`, `[` or `]` is quoted. */
function stepText(steps: readonly PathStep[]): string {
  let text = "$";
  for (const s of steps) {
    if (typeof s === "number") text += `[${s}]`;
    else text += /^[^.[\]]+$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  }
  return text;
}

/** The value at `path` in `value`; a missing step is a PermanentError that names it. */
function getPath(value: unknown, path: string): unknown {
  const steps = parsePath(path);
  let current = value;
  for (let k = 0; k < steps.length; k++) {
    const step = steps[k] as PathStep;
    const at = stepText(steps.slice(0, k));
    if (typeof step === "number") {
      if (!Array.isArray(current))
        throw new PermanentError(`json.get: ${at} is ${kindOf(current)}, not a list`);
      const index = step < 0 ? current.length + step : step;
      if (index < 0 || index >= current.length)
        throw new PermanentError(
          `json.get: no item [${step}] in ${at}: it has ${current.length} item(s)`,
        );
      current = current[index] as unknown;
    } else {
      if (typeof current !== "object" || current === null || Array.isArray(current))
        throw new PermanentError(`json.get: ${at} is ${kindOf(current)}, not an object`);
      if (!Object.hasOwn(current, step))
        throw new PermanentError(`json.get: no field \`${step}\` in ${at}`);
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current;
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

export function jsonGet() {
  return defineTool({
    name: "json.get",
    description:
      'The value at a path like `a.b[0].c`, `items[-1]` or `["odd key"]`; a missing step is an error',
    input: z.object({ value: z.unknown(), path: z.string().max(MAX_PATH_LENGTH) }),
    output: z.unknown(),
    pure: true,
    run: ({ value, path }) => getPath(value, path),
  });
}
