// Plan inputs: the values a run was given, defaults for the rest, and a check
// against each input's declared type before any call starts.
import type { PlanInput } from "../compiler/ir.js";
import { suggest } from "../compiler/suggest.js";
import { describeValue } from "./evaluate.js";
import type { RunError } from "./types.js";

export interface ResolvedInputs {
  values: Record<string, unknown>;
  errors: RunError[];
}

export function resolveInputs(
  declared: readonly PlanInput[],
  given: Record<string, unknown> | undefined,
): ResolvedInputs {
  const values: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const errors: RunError[] = [];
  const names = new Set(declared.map((d) => d.name));
  const where = (input: PlanInput) =>
    input.span === undefined ? "" : ` (line ${input.span.start.line})`;

  for (const input of declared) {
    const supplied = given !== undefined && Object.hasOwn(given, input.name);
    const value = supplied ? given[input.name] : input.default;
    if (value === undefined) {
      errors.push({
        kind: "input",
        input: input.name,
        message: `missing required input \`$${input.name}\`${where(input)}: pass it in \`inputs\``,
      });
      continue;
    }
    if (!hasType(value, input.type)) {
      errors.push({
        kind: "input",
        input: input.name,
        message: `input \`$${input.name}\`${where(input)} must be ${article(input.type)}, but it is ${describeValue(value)}`,
      });
      continue;
    }
    values[input.name] = value;
  }

  if (given !== undefined) {
    for (const name of Object.keys(given)) {
      if (names.has(name)) continue;
      const near = suggest(name, names);
      const known =
        names.size === 0
          ? "the plan declares no inputs"
          : `declared: ${[...names].map((n) => `\`$${n}\``).join(", ")}`;
      errors.push({
        kind: "input",
        message: `unknown input \`$${name}\`${near === undefined ? "" : `; did you mean \`$${near}\`?`} (${known})`,
      });
    }
  }
  return { values, errors };
}

function hasType(value: unknown, type: PlanInput["type"]): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "list":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "any":
      return true;
  }
}

function article(type: PlanInput["type"]): string {
  return type === "any" ? "a value" : type === "object" ? "an object" : `a ${type}`;
}
