// A safe arithmetic evaluator for the `math` example tool: numbers, + - * / % ^,
// parentheses and unary minus. No names, no code: a plan cannot smuggle JS in.
export function evaluate(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?(?:e[+-]?\d+)?|[-+*/%^()]|\S/gi) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const take = (): string | undefined => tokens[i++];

  const primary = (): number => {
    const t = take();
    if (t === "(") {
      const v = sum();
      if (take() !== ")") throw new Error("expected `)`");
      return v;
    }
    if (t === "-") return -power();
    if (t === "+") return power();
    if (t !== undefined && /^\d/.test(t)) return Number(t);
    throw new Error(t === undefined ? "unexpected end of expression" : `unexpected \`${t}\``);
  };
  const power = (): number => {
    const base = primary();
    if (peek() === "^") {
      take();
      return base ** power();
    }
    return base;
  };
  const product = (): number => {
    let v = power();
    for (let op = peek(); op === "*" || op === "/" || op === "%"; op = peek()) {
      take();
      const r = power();
      v = op === "*" ? v * r : op === "/" ? v / r : v % r;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    for (let op = peek(); op === "+" || op === "-"; op = peek()) {
      take();
      const r = product();
      v = op === "+" ? v + r : v - r;
    }
    return v;
  };

  const value = sum();
  if (i < tokens.length) throw new Error(`unexpected \`${tokens[i]}\``);
  if (!Number.isFinite(value)) throw new Error("the result is not a finite number");
  return value;
}
