// Writes grammar/diagrams.html: railroad diagrams generated from the parser
// itself, so the diagrams can never drift from the code. `npm run grammar`.
// The diagram scripts are inlined from the installed chevrotain package, so
// the page works offline.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createSyntaxDiagramsCode } from "chevrotain";
import { PlanParser } from "../src/parser/grammar.js";

const require = createRequire(import.meta.url);
let dir = dirname(require.resolve("chevrotain"));
while (!existsSync(join(dir, "diagrams", "diagrams.css")) && dirname(dir) !== dir)
  dir = dirname(dir);
const diagrams = join(dir, "diagrams");

const parser = new PlanParser();
let html = createSyntaxDiagramsCode(parser.getSerializedGastProductions());
html = html.replace(
  '<meta charset="utf-8">',
  '<meta charset="utf-8">\n<title>Weft plan grammar</title>',
);
html = html.replace(
  /<link rel='stylesheet' href='[^']*\/diagrams\/(diagrams\.css)'>/,
  (_m, file: string) => {
    return `<style>\n${readFileSync(join(diagrams, file), "utf8")}\n</style>`;
  },
);
html = html.replace(/<script src='[^']*\/diagrams\/([^']+)'><\/script>/g, (_m, file: string) => {
  return `<script>\n${readFileSync(join(diagrams, file), "utf8")}\n</script>`;
});
const out = new URL("../grammar/diagrams.html", import.meta.url);
writeFileSync(out, html);
const rules = Object.keys(parser.getGAstProductions()).length;
console.log(`wrote grammar/diagrams.html (${rules} rules)`);
