// ## Plan extraction from a model's reply, as it streams
// Models wrap plans in prose, code fences and `Thought:` lines, and a stream
// cuts the reply anywhere: in the middle of a `\r\n`, a string, a bracket,
// or one chunk may carry several lines. `PlanExtractor` reads the reply one
// character at a time, keeping all of its state explicit, so any split of the
// reply gives the same statements as the whole reply, each exactly once, and
// the work is linear in the reply's length.
//
// Statement boundaries are those of src/parser/split.ts: a line break ends a
// statement at bracket depth 0 outside strings; inside an open bracket, a line
// that starts with `$name =`, `input $` or `return` (not a `return:` key) ends
// the open statement there. A `#` comment runs to the end of the line except
// inside a string.
//
// What is plan and what is note is decided at each line start (depth 0):
// - a line that can start a Weft statement (`$name =`, `input $`, `return`,
//   `tool.name(`) starts a statement;
// - a `#` comment line is kept as a note (it holds no statement);
// - a ``` line opens the fenced block (a language tag may follow) or closes
//   it; once a fence opened, only the fenced part is plan: everything after
//   the closing fence is notes;
// - anything else (`Thought:`, `Plan:`, numbered or bulleted prose) is a note.
import { KEYWORDS } from "../parser/names.js";

export interface ExtractedLine {
  /** The statement's source: may span lines (brackets, triple-quoted strings); no line break at the end. */
  text: string;
  /** The 1-based line of the model's reply where the statement starts. */
  line: number;
}

// ### Line starts
// What a line starts with, decided from as few characters as possible.
type LineKind =
  | "binding" // `$name =`
  | "input" // `input $name`
  | "return" // `return` not followed by `:` or `=`
  | "call" // `tool.name(`
  | "comment" // `#`
  | "fence" // ```
  | "blank"
  | "other";

/** Whitespace between tokens, as the lexer skips it (line breaks are handled apart). */
function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\f" || c === "\v" || c === "\u00a0" || c === "\ufeff";
}
function isNameStart(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
}
function isNameChar(c: string): boolean {
  return isNameStart(c) || (c >= "0" && c <= "9");
}
function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

type StartState =
  | "lead" // leading whitespace
  | "tick" // backticks
  | "dollar" // `$`
  | "varName" // `$abc`
  | "varDigits" // `$12`
  | "varSpace" // `$abc ` waiting for `=`
  | "word" // a first word: keyword or tool name part
  | "inputSpace" // `input ` waiting for `$`
  | "inputDollar" // `input $`
  | "returnSpace" // `return ` waiting for anything but `:` / `=`
  | "callee" // `wiki.page ` waiting for `.` or `(`
  | "calleeDot" // `wiki.` waiting for a name
  | "calleePart"; // `wiki.pa`

/** Classifies one line from its first characters; a small automaton, so each character is seen once. */
class LineStart {
  /** Leading whitespace. */
  lead = "";
  /** The characters after it, up to the deciding one. */
  rest = "";
  private state: StartState = "lead";
  private ticks = 0;
  private word = "";

  reset(): void {
    this.lead = "";
    this.rest = "";
    this.state = "lead";
    this.ticks = 0;
    this.word = "";
  }

  /** Feeds a character that is not a line break; returns the line's kind once it is known. */
  feed(c: string): LineKind | undefined {
    if (this.state === "lead" && isSpace(c)) {
      this.lead += c;
      return undefined;
    }
    this.rest += c;
    return this.step(c);
  }

  /** The kind of a line that ends (line break or end of reply) before it was decided. */
  end(): LineKind {
    switch (this.state) {
      case "lead":
        return "blank";
      case "word":
        return this.word === "return" ? "return" : "other";
      case "returnSpace":
        return "return";
      default:
        return "other";
    }
  }

  private step(c: string): LineKind | undefined {
    switch (this.state) {
      case "lead":
        if (c === "#") return "comment";
        if (c === "`") {
          this.ticks = 1;
          return this.enter("tick");
        }
        if (c === "$") return this.enter("dollar");
        if (isNameStart(c)) {
          this.word = c;
          return this.enter("word");
        }
        return "other";
      case "tick":
        if (c !== "`") return "other";
        return ++this.ticks === 3 ? "fence" : undefined;
      case "dollar":
        if (isNameStart(c)) return this.enter("varName");
        if (isDigit(c)) return this.enter("varDigits");
        return "other";
      case "varName":
        return isNameChar(c) ? undefined : this.afterVariable(c);
      case "varDigits":
        return isDigit(c) ? undefined : this.afterVariable(c);
      case "varSpace":
        return this.afterVariable(c);
      case "word":
      case "calleePart":
        if (isNameChar(c)) {
          this.word += c;
          return undefined;
        }
        // The name is complete: read `c` again in what follows it.
        if (this.state === "word" && this.word === "input") this.state = "inputSpace";
        else if (this.state === "word" && this.word === "return") this.state = "returnSpace";
        else if (KEYWORDS.has(this.word)) return "other";
        else this.state = "callee";
        return this.step(c);
      case "inputSpace":
        if (isSpace(c)) return undefined;
        return c === "$" ? this.enter("inputDollar") : "other";
      case "inputDollar":
        return isNameChar(c) ? "input" : "other";
      case "returnSpace":
        if (isSpace(c)) return undefined;
        return c === ":" || c === "=" ? "other" : "return";
      case "callee":
        if (isSpace(c)) return undefined;
        if (c === "(") return "call";
        return c === "." ? this.enter("calleeDot") : "other";
      case "calleeDot":
        if (isSpace(c)) return undefined;
        if (!isNameStart(c)) return "other";
        this.word = c;
        return this.enter("calleePart");
    }
  }

  /** After `$name`: spaces, then `=` makes a binding. */
  private afterVariable(c: string): LineKind | undefined {
    if (c === "=") return "binding";
    return isSpace(c) ? this.enter("varSpace") : "other";
  }

  private enter(state: StartState): undefined {
    this.state = state;
    return undefined;
  }
}

// ### The statement being read
// Lexer states, as far as boundaries need them.
type Lex =
  | "code"
  | "comment"
  | "quote1" // `"`: a string or the start of `"""`
  | "quote2" // `""`: an empty string or the start of `"""`
  | "double"
  | "doubleEscape"
  | "single"
  | "singleEscape"
  | "triple"
  | "tripleEscape";

const CLOSER: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

type Mode =
  | "start" // at a line start at depth 0, classifying it
  | "note" // in a note line
  | "skip" // in a fence line
  | "statement" // in a statement
  | "continuation"; // at a line start inside an open bracket, classifying it

export class PlanExtractor {
  /** `Thought:` / `Plan:` / prose / comment lines, trimmed, in order. */
  readonly notes: string[] = [];

  private mode: Mode = "start";
  private readonly start = new LineStart();
  private fence: "none" | "open" | "closed" = "none";
  /** The 1-based line being read. */
  private line = 1;
  /** The last character was `\r`: a `\n` right after it belongs to the same line break. */
  private cr = false;
  private ended = false;
  private out: ExtractedLine[] = [];

  private noteText = "";

  private text = "";
  private textLine = 0;
  private lex: Lex = "code";
  /** Closers of the open brackets, innermost last. */
  private open: string[] = [];
  /** How many open brackets wait for each closer (finds a match without a scan, as split.ts does). */
  private waiting: Record<string, number> = { ")": 0, "]": 0, "}": 0 };
  private quotes = 0;

  /** Statements that became complete with this chunk, in order. */
  push(chunk: string): ExtractedLine[] {
    if (this.ended) throw new Error("PlanExtractor: push() after end()");
    for (let i = 0; i < chunk.length; i++) this.char(chunk[i]!);
    return this.take();
  }

  /** The statements left when the reply ends (an unclosed statement included). */
  end(): ExtractedLine[] {
    if (this.ended) return [];
    this.ended = true;
    if (this.mode === "start") this.atLineStart(this.start.end());
    else if (this.mode === "continuation") this.inContinuation(this.start.end());
    if (this.mode === "statement") this.emit();
    else if (this.mode === "note") this.endNote();
    return this.take();
  }

  private take(): ExtractedLine[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private char(c: string): void {
    if (this.cr) {
      this.cr = false;
      if (c === "\n") {
        // The second half of a `\r\n`: already counted.
        if (this.mode === "statement" || this.mode === "continuation") this.text += c;
        return;
      }
    }
    const lineBreak = c === "\n" || c === "\r";
    switch (this.mode) {
      case "start":
        if (!lineBreak) {
          const kind = this.start.feed(c);
          if (kind !== undefined) this.atLineStart(kind);
          return;
        }
        this.atLineStart(this.start.end());
        // The line break ends whatever the line turned out to be.
        return this.char(c);
      case "continuation":
        if (!lineBreak) {
          const kind = this.start.feed(c);
          if (kind !== undefined) this.inContinuation(kind);
          return;
        }
        this.inContinuation(this.start.end());
        return this.char(c);
      case "note":
        if (lineBreak) {
          this.endNote();
          this.newLine(c);
        } else {
          this.noteText += c;
        }
        return;
      case "skip":
        if (lineBreak) this.newLine(c);
        return;
      case "statement":
        return this.statementChar(c, lineBreak);
    }
  }

  private newLine(c: string): void {
    this.line++;
    this.cr = c === "\r";
    this.mode = "start";
    this.start.reset();
  }

  // ### Line starts
  private atLineStart(kind: LineKind): void {
    const { lead, rest } = this.start;
    if (kind === "fence") {
      this.fence = this.fence === "none" ? "open" : "closed";
      this.mode = "skip";
      return;
    }
    const plan = this.fence !== "closed";
    if (plan && (kind === "binding" || kind === "input" || kind === "return" || kind === "call")) {
      this.begin();
      for (let i = 0; i < rest.length; i++) this.statementChar(rest[i]!, false);
      return;
    }
    this.mode = "note";
    this.noteText = lead + rest;
  }

  private inContinuation(kind: LineKind): void {
    const { lead, rest } = this.start;
    if (kind === "binding" || kind === "input" || kind === "return" || kind === "fence") {
      // The open statement lacks a closer: it ends here (split.ts reports it).
      this.emit();
      this.atLineStart(kind);
      return;
    }
    this.mode = "statement";
    const line = lead + rest;
    for (let i = 0; i < line.length; i++) this.statementChar(line[i]!, false);
  }

  private endNote(): void {
    const note = this.noteText.trim();
    if (note !== "") this.notes.push(note);
    this.noteText = "";
  }

  // ### Statements
  private begin(): void {
    this.mode = "statement";
    this.text = "";
    this.textLine = this.line;
    this.lex = "code";
    this.open = [];
    this.waiting = { ")": 0, "]": 0, "}": 0 };
  }

  private emit(): void {
    this.out.push({ text: this.text.trim(), line: this.textLine });
    this.text = "";
  }

  private statementChar(c: string, lineBreak: boolean): void {
    switch (this.lex) {
      case "code":
        break;
      case "comment":
        if (lineBreak) break;
        this.text += c;
        return;
      case "quote1":
        if (c === '"') {
          this.lex = "quote2";
          this.text += c;
          return;
        }
        this.lex = "double";
        return this.statementChar(c, lineBreak);
      case "quote2":
        if (c === '"') {
          this.lex = "triple";
          this.quotes = 0;
          this.text += c;
          return;
        }
        // `""`: an empty string, then `c` as code.
        this.lex = "code";
        break;
      case "double":
      case "single":
        if (lineBreak) break; // unterminated: the line break is code again
        if (c === "\\") this.lex = this.lex === "double" ? "doubleEscape" : "singleEscape";
        else if (c === (this.lex === "double" ? '"' : "'")) this.lex = "code";
        this.text += c;
        return;
      case "doubleEscape":
      case "singleEscape":
        if (lineBreak) break; // `"abc\` then a line break: unterminated
        this.lex = this.lex === "doubleEscape" ? "double" : "single";
        this.text += c;
        return;
      case "triple":
        if (c === '"') {
          if (++this.quotes === 3) this.lex = "code";
        } else {
          this.quotes = 0;
          if (c === "\\") this.lex = "tripleEscape";
        }
        this.text += c;
        if (lineBreak) this.countLine(c);
        return;
      case "tripleEscape":
        this.lex = "triple";
        this.text += c;
        if (lineBreak) this.countLine(c);
        return;
    }
    // Code.
    this.lex = "code";
    if (lineBreak) {
      if (this.open.length === 0) {
        this.emit();
        this.newLine(c);
      } else {
        this.text += c;
        this.newLine(c);
        this.mode = "continuation";
      }
      return;
    }
    this.text += c;
    if (c === "#") this.lex = "comment";
    else if (c === '"') this.lex = "quote1";
    else if (c === "'") this.lex = "single";
    else if (c === "(" || c === "[" || c === "{") {
      const closer = CLOSER[c]!;
      this.open.push(closer);
      this.waiting[closer]!++;
    } else if (c === ")" || c === "]" || c === "}") this.close(c);
  }

  /** A closer closes the bracket it matches if one is open, else the innermost one (as split.ts). */
  private close(c: string): void {
    if (this.open.length === 0) return;
    if (this.waiting[c]! > 0) {
      for (;;) {
        const closer = this.open.pop()!;
        this.waiting[closer]!--;
        if (closer === c) return;
      }
    }
    this.waiting[this.open.pop()!]!--;
  }

  private countLine(c: string): void {
    this.line++;
    this.cr = c === "\r";
  }
}

/** The plan in a whole reply (its statements, one after another) and the notes around it. */
export function extractPlan(reply: string): {
  plan: string;
  notes: string[];
  statements: ExtractedLine[];
} {
  const extractor = new PlanExtractor();
  const statements = [...extractor.push(reply), ...extractor.end()];
  const plan = statements.map((s) => s.text).join("\n");
  return { plan: plan === "" ? "" : `${plan}\n`, notes: extractor.notes, statements };
}
