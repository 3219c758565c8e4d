// ## Generated plan texts for property tests
// `arbPlanText` yields syntactically valid Weft plans written in a messy way:
// odd spacing, line breaks and comments inside brackets, trailing commas,
// single quotes, `key=value` arguments, escapes of every kind, `$` signs that
// are and are not interpolations, triple-quoted strings with quotes and line
// breaks, blank lines, CRLF line ends. Names are well formed: every `$ref`
// names an input or binding defined earlier (or the enclosing `each`
// variable), no name is defined twice, inputs come first, positional
// arguments precede named ones, object keys are unique and `return` is last.
// Tool names are random unless `tools` is given.
import fc from "fast-check";
import { KEYWORDS } from "../../src/parser/names.js";

const INPUT_TYPES = ["string", "number", "boolean", "list", "object", "any"] as const;

const arbIdent = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/).filter((s) => !KEYWORDS.has(s));
/**
 * Keywords that may serve as a field, argument or key name.
 */
const NAME_KEYWORDS = [...KEYWORDS];
/** A field, argument or key name: identifiers and keywords alike. */
const arbName = fc.oneof(
  { weight: 4, arbitrary: arbIdent },
  { weight: 1, arbitrary: fc.constantFrom(...NAME_KEYWORDS) },
);

// ### Layout pieces
const arbComment = fc
  .array(
    fc.constantFrom("a", "b", " ", "#", "$x", '"', "'", "\\", "é", "😀", "(", "]", "\t", "-"),
    {
      maxLength: 8,
    },
  )
  .map((cs) => `#${cs.join("")}`);

/** Whitespace on one line (between tokens at bracket depth 0). */
const arbSpace = fc.constantFrom("", " ", " ", " ", "  ", "\t");

/** Whitespace inside brackets: line breaks and comments allowed. */
const arbGap: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("", " ", " ", "  ", "\t") },
  { weight: 3, arbitrary: fc.constantFrom("\n", "\n  ", "\n\n    ", "\r\n", " \n\t") },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom("", " ", "  "), arbComment, fc.constantFrom("\n", "\n  ", "\n\n"))
      .map(([a, c, b]) => a + c + b),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(arbComment, arbComment).map(([c1, c2]) => `\n  ${c1}\n${c2}\n`),
  },
);

// ### Abstract plans, with the layout choices made
interface GCall {
  k: "call";
  callee: string[];
  space: string;
  args: { before: string; name?: { name: string; sep: string }; value: GExpr; after: string }[];
  trailingComma: boolean;
  close: string;
}
interface GRef {
  k: "ref";
  pick: number;
  path: (string | number)[];
  space: string;
}
type GAtom = { a: string; v: string };
type GSeg =
  | { t: "atom"; atom: GAtom }
  | { t: "ref"; pick: number; path: (string | number)[]; braced: boolean };
interface GStr {
  k: "str";
  style: "double" | "single" | "triple";
  segs: GSeg[];
}
interface GList {
  k: "list";
  items: { before: string; value: GExpr; after: string }[];
  trailingComma: boolean;
  close: string;
}
interface GKey {
  name: string;
  src: string;
}
interface GObj {
  k: "obj";
  entries: { before: string; key: GKey; colon: string; value: GExpr; after: string }[];
  trailingComma: boolean;
  close: string;
}
type GExpr = GCall | GRef | GStr | GList | GObj | { k: "raw"; src: string };

// ### Strings
// Atoms are source spellings with their decoded values; some are fixed up when
// rendered next to others (a raw `$` before a name, a raw `"` ending a triple string).
const commonAtoms: GAtom[] = [
  { a: "a", v: "a" },
  { a: "Z", v: "Z" },
  { a: "q_1", v: "q_1" },
  { a: "é", v: "é" },
  { a: "日本", v: "日本" },
  { a: "😀", v: "😀" },
  { a: "7", v: "7" },
  { a: " ", v: " " },
  { a: ".", v: "." },
  { a: "[", v: "[" },
  { a: "[0]", v: "[0]" },
  { a: "]", v: "]" },
  { a: "{", v: "{" },
  { a: "}", v: "}" },
  { a: "#", v: "#" },
  { a: ":", v: ":" },
  { a: "$", v: "$" },
  { a: "$", v: "$" },
  { a: "\t", v: "\t" },
  { a: "\\\\", v: "\\" },
  { a: '\\"', v: '"' },
  { a: "\\'", v: "'" },
  { a: "\\n", v: "\n" },
  { a: "\\t", v: "\t" },
  { a: "\\r", v: "\r" },
  { a: "\\$", v: "$" },
  { a: "\\b", v: "\b" },
  { a: "\\f", v: "\f" },
  { a: "\\/", v: "/" },
  { a: "\\u0041", v: "A" },
  { a: "\\u{1F600}", v: "😀" },
  { a: "\\u{0}", v: "\0" },
  { a: "\\u{7f}", v: "\x7f" },
  { a: "\\u{85}", v: "\x85" },
  { a: "\\u{d800}", v: "\ud800" },
  { a: "\\u{dc00}", v: "\udc00" },
];
const atomsFor = {
  double: [...commonAtoms, { a: "'", v: "'" }],
  single: [...commonAtoms, { a: '"', v: '"' }],
  triple: [
    ...commonAtoms,
    { a: "'", v: "'" },
    { a: '"', v: '"' },
    { a: '"', v: '"' },
    { a: "\n", v: "\n" },
  ],
};

const isIdentChar = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9_]$/.test(c);

/** Renders atoms, escaping a raw `$` or `"` where its neighbour would change its meaning. */
function renderAtoms(segs: readonly GSeg[], i: number, style: GStr["style"]): string {
  const seg = segs[i];
  if (seg?.t !== "atom") return "";
  const next = segs[i + 1];
  const nextSrc = next === undefined ? undefined : next.t === "atom" ? next.atom.a : "$";
  if (
    seg.atom.a === "$" &&
    nextSrc !== undefined &&
    (isIdentChar(nextSrc[0]) || nextSrc[0] === "{")
  )
    return "\\$";
  if (style === "triple" && seg.atom.a === '"' && (nextSrc === undefined || nextSrc[0] === '"'))
    return '\\"';
  return seg.atom.a;
}

const arbPath: fc.Arbitrary<(string | number)[]> = fc.array(
  fc.oneof(arbName, fc.nat({ max: 12 })),
  {
    maxLength: 3,
  },
);

function arbString(withRefs: boolean): fc.Arbitrary<GStr> {
  return fc.constantFrom("double", "double", "single", "triple").chain((style) => {
    const atom = fc.constantFrom(...atomsFor[style]).map((a): GSeg => ({ t: "atom", atom: a }));
    const ref = fc
      .record({ pick: fc.nat(), path: arbPath, braced: fc.boolean() })
      .map((r): GSeg => ({ t: "ref", ...r }));
    const seg = withRefs
      ? fc.oneof({ weight: 5, arbitrary: atom }, { weight: 1, arbitrary: ref })
      : atom;
    return fc.array(seg, { maxLength: 12 }).map((segs): GStr => ({ k: "str", style, segs }));
  });
}

const arbKey: fc.Arbitrary<GKey> = fc.oneof(
  { weight: 3, arbitrary: arbName.map((name) => ({ name, src: name })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom("double", "single") as fc.Arbitrary<"double" | "single">,
        fc.array(fc.constantFrom(...commonAtoms), { maxLength: 6 }),
      )
      .map(([style, atoms]) => {
        const segs: GSeg[] = atoms.map((atom) => ({ t: "atom", atom }));
        const q = style === "double" ? '"' : "'";
        return {
          name: atoms.map((a) => a.v).join(""),
          src: q + segs.map((_, i) => renderAtoms(segs, i, style)).join("") + q,
        };
      }),
  },
);

const arbNumber = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.constantFrom(
    "0",
    "-0",
    "3.14",
    "-0.5",
    "1e6",
    "2E-3",
    "1.5e+10",
    "10.0",
    "0.000",
    "123456789012345678901234567890",
  ),
);

// ### Expressions
function arbExprs(opts: { constant: boolean; tools: readonly string[] | undefined }) {
  const callee =
    opts.tools !== undefined && opts.tools.length > 0
      ? fc.constantFrom(...opts.tools).map((t) => t.split("."))
      : fc.array(arbIdent, { minLength: 1, maxLength: 3 });
  const leaf: fc.Arbitrary<GExpr> = fc.oneof(
    arbNumber.map((src): GExpr => ({ k: "raw", src })),
    fc.constantFrom("true", "false", "null").map((src): GExpr => ({ k: "raw", src })),
    arbString(!opts.constant),
    ...(opts.constant
      ? []
      : [
          fc
            .record({ pick: fc.nat(), path: arbPath, space: fc.constantFrom("", "", "", " ") })
            .map((r): GExpr => ({ k: "ref", ...r })),
        ]),
  );
  return fc.letrec<{ expr: GExpr; call: GExpr; list: GExpr; obj: GExpr }>((tie) => ({
    expr: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      ...(opts.constant ? [] : [tie("call")]),
      tie("list"),
      tie("obj"),
    ),
    call: fc
      .record({
        callee,
        space: fc.constantFrom("", "", "", " "),
        positional: fc.array(fc.record({ before: arbGap, value: tie("expr"), after: arbGap }), {
          maxLength: 3,
        }),
        named: fc.uniqueArray(
          fc.record({
            before: arbGap,
            name: fc.record({
              name: arbName,
              sep: fc.constantFrom(":", ": ", " : ", "=", " = ", "="),
            }),
            value: tie("expr"),
            after: arbGap,
          }),
          { maxLength: 2, selector: (a) => a.name.name },
        ),
        trailingComma: fc.boolean(),
        close: arbGap,
      })
      .map(({ positional, named, ...rest }): GExpr => ({
        k: "call",
        args: [...positional, ...named],
        ...rest,
      })),
    list: fc
      .record({
        items: fc.array(fc.record({ before: arbGap, value: tie("expr"), after: arbGap }), {
          maxLength: 4,
        }),
        trailingComma: fc.boolean(),
        close: arbGap,
      })
      .map((r): GExpr => ({ k: "list", ...r })),
    obj: fc
      .record({
        entries: fc.uniqueArray(
          fc.record({
            before: arbGap,
            key: arbKey,
            colon: fc.constantFrom(":", ": ", " : ", ":\t"),
            value: tie("expr"),
            after: arbGap,
          }),
          { maxLength: 3, selector: (e) => e.key.name },
        ),
        trailingComma: fc.boolean(),
        close: arbGap,
      })
      .map((r): GExpr => ({ k: "obj", ...r })),
  }));
}

// ### Rendering
function renderPath(path: readonly (string | number)[], space = ""): string {
  return path.map((p) => (typeof p === "number" ? `${space}[${p}]` : `${space}.${p}`)).join("");
}

function renderString(s: GStr, scope: readonly string[]): string {
  const q = s.style === "triple" ? '"""' : s.style === "single" ? "'" : '"';
  // With nothing defined yet there is nothing to interpolate.
  const segs = scope.length === 0 ? s.segs.filter((seg) => seg.t === "atom") : s.segs;
  let body = "";
  segs.forEach((seg, i) => {
    if (seg.t === "atom") {
      body += renderAtoms(segs, i, s.style);
      return;
    }
    const name = scope[seg.pick % scope.length]!;
    const inner = `${name}${renderPath(seg.path)}`;
    const next = segs[i + 1];
    const nextSrc = next?.t === "atom" ? renderAtoms(segs, i + 1, s.style) : "";
    const ambiguous = isIdentChar(nextSrc[0]) || nextSrc[0] === "." || nextSrc[0] === "[";
    body += seg.braced || ambiguous ? `\${${inner}}` : `$${inner}`;
  });
  return q + body + q;
}

function renderItems(
  open: string,
  close: string,
  items: { before: string; src: string; after: string }[],
  trailingComma: boolean,
  closeGap: string,
): string {
  let out = open;
  items.forEach((it, i) => {
    out += it.before + it.src + it.after;
    if (i < items.length - 1 || trailingComma) out += ",";
  });
  return out + closeGap + close;
}

function renderExpr(e: GExpr, scope: readonly string[]): string {
  switch (e.k) {
    case "raw":
      return e.src;
    case "str":
      return renderString(e, scope);
    case "ref": {
      const name = scope.length === 0 ? undefined : scope[e.pick % scope.length];
      return name === undefined ? "null" : `$${name}${renderPath(e.path, e.space)}`;
    }
    case "call":
      return (
        e.callee.join(".") +
        e.space +
        renderItems(
          "(",
          ")",
          e.args.map((a) => ({
            before: a.before,
            src:
              (a.name === undefined ? "" : a.name.name + a.name.sep) + renderExpr(a.value, scope),
            after: a.after,
          })),
          e.trailingComma && e.args.length > 0,
          e.close,
        )
      );
    case "list":
      return renderItems(
        "[",
        "]",
        e.items.map((it) => ({
          before: it.before,
          src: renderExpr(it.value, scope),
          after: it.after,
        })),
        e.trailingComma && e.items.length > 0,
        e.close,
      );
    case "obj":
      return renderItems(
        "{",
        "}",
        e.entries.map((en) => ({
          before: en.before,
          src: en.key.src + en.colon + renderExpr(en.value, scope),
          after: en.after,
        })),
        e.trailingComma && e.entries.length > 0,
        e.close,
      );
  }
}

// ### Statements and the plan
type GStatement =
  | { k: "binding"; base: string; digits: boolean; sp: [string, string]; value: GExpr }
  | {
      k: "each";
      base: string;
      digits: boolean;
      eachBase: string;
      sp: [string, string];
      over: GExpr;
      body: GExpr;
    }
  | { k: "call"; call: GExpr };

const arbLinePrefix = fc.array(
  fc.oneof(
    fc.constant(""),
    fc.constant("   "),
    arbComment,
    arbComment.map((c) => `  ${c}`),
  ),
  { maxLength: 3 },
);
const arbTrailing = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("", " ", "\t") },
  { weight: 1, arbitrary: fc.tuple(arbSpace, arbComment).map(([s, c]) => s + c) },
);

export interface PlanTextOptions {
  /** Tool names to call (dotted names allowed); random names when absent. */
  tools?: readonly string[];
  maxStatements?: number;
}

export function planText(options: PlanTextOptions = {}): fc.Arbitrary<string> {
  const { expr, call } = arbExprs({ constant: false, tools: options.tools });
  const constant = arbExprs({ constant: true, tools: options.tools }).expr;
  const callish = fc.oneof({ weight: 3, arbitrary: call }, { weight: 1, arbitrary: expr });
  const sp = fc.tuple(arbSpace, arbSpace);
  const statement: fc.Arbitrary<GStatement> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        k: fc.constant("binding" as const),
        base: arbIdent,
        digits: fc.boolean(),
        sp,
        value: callish,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant("each" as const),
        base: arbIdent,
        digits: fc.boolean(),
        eachBase: arbIdent,
        sp,
        over: expr,
        body: callish,
      }),
    },
    { weight: 2, arbitrary: fc.record({ k: fc.constant("call" as const), call }) },
  );
  const line = <T>(arb: fc.Arbitrary<T>) =>
    fc.record({
      before: arbLinePrefix,
      indent: fc.constantFrom("", "", "", " ", "\t"),
      statement: arb,
      trailing: arbTrailing,
    });
  const input = fc.record({
    base: arbIdent,
    type: fc.option(fc.tuple(arbSpace, fc.constantFrom(...INPUT_TYPES), arbSpace), {
      nil: undefined,
    }),
    default: fc.option(fc.tuple(arbSpace, constant, arbSpace), { nil: undefined }),
  });
  const max = options.maxStatements ?? 8;

  return fc
    .record({
      inputs: fc.array(line(input), { maxLength: 3 }),
      statements: fc.array(line(statement), { maxLength: max }),
      ret: fc.option(line(expr), { nil: undefined }),
      end: arbLinePrefix,
      finalNewline: fc.boolean(),
      newline: fc.constantFrom("\n", "\n", "\n", "\r\n"),
    })
    .map(({ inputs, statements, ret, end, finalNewline, newline }) => {
      const scope: string[] = [];
      const out: string[] = [];
      const emit = (
        l: { before: string[]; indent: string; trailing: string },
        text: string,
      ): void => {
        out.push(...l.before, l.indent + text + l.trailing);
      };
      inputs.forEach((l, i) => {
        const name = `${l.statement.base}_in${i}`;
        let text = `input $${name}`;
        if (l.statement.type !== undefined)
          text += `${l.statement.type[0]}:${l.statement.type[2]}${l.statement.type[1]}`;
        if (l.statement.default !== undefined) {
          const [a, value, b] = l.statement.default;
          text += `${a}=${b}${renderExpr(value, [])}`;
        }
        emit(l, text);
        scope.push(name);
      });
      statements.forEach((l, i) => {
        const s = l.statement;
        if (s.k === "call") {
          emit(l, renderExpr(s.call, scope));
          return;
        }
        const name = s.digits ? String(i + 1) : `${s.base}_${i}`;
        const head = `$${name}${s.sp[0]}=${s.sp[1]}`;
        if (s.k === "binding") {
          emit(l, head + renderExpr(s.value, scope));
        } else {
          const v = `${s.eachBase}_${i}_e`;
          emit(
            l,
            `${head}each $${v} in ${renderExpr(s.over, scope)}${s.sp[0]}:${s.sp[1]}${renderExpr(s.body, [...scope, v])}`,
          );
        }
        scope.push(name);
      });
      if (ret !== undefined) emit(ret, `return ${renderExpr(ret.statement, scope)}`);
      out.push(...end);
      return out.join(newline) + (finalNewline ? newline : "");
    });
}

/** Syntactically valid, name-consistent plans written messily (see the top of this file). */
export const arbPlanText: fc.Arbitrary<string> = planText();
