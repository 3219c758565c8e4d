// Weft's standard library (`--std`, `std: true`): math, text, JSON, HTTP,
// files, an LLM worker and time. Tools that reach outside the process are
// denied unless granted: hosts with allowNet (--allow-net), directories with
// allowRead / allowWrite (--allow-read / --allow-write), a model with `llm`.
import type { AnyTool } from "../../compiler/tool.js";
import { FilePolicy, NetPolicy } from "./capabilities.js";
import { fileRead, fileWrite } from "./file.js";
import { httpGet, httpPost } from "./http.js";
import { jsonGet, jsonParse } from "./json.js";
import { llmComplete } from "./llm.js";
import { mathEval } from "./math.js";
import { textExtract, textJoin, textSplit, textTemplate } from "./text.js";
import { sleep, timeNow } from "./time.js";

export interface StdOptions {
  /** Hosts `http.*` may reach: `example.com` (any port) or `example.com:8080`. */
  allowNet?: string[];
  /** Directories `file.read` may read under. */
  allowRead?: string[];
  /** Directories `file.write` may write under. */
  allowWrite?: string[];
  /** The OpenAI-compatible model of `llm.complete`; without `model` it is denied. */
  llm?: { baseURL?: string; apiKey?: string; model?: string };
  /** Base for relative allowed directories and relative paths (default: process.cwd()). */
  cwd?: string;
}

/** Every standard-library tool, with the capabilities `options` grant. */
export function stdTools(options: StdOptions = {}): AnyTool[] {
  const cwd = options.cwd ?? process.cwd();
  const net = new NetPolicy(options.allowNet);
  const read = new FilePolicy("read", options.allowRead, cwd);
  const write = new FilePolicy("write", options.allowWrite, cwd);
  return [
    mathEval(),
    textTemplate(),
    textSplit(),
    textJoin(),
    textExtract(),
    jsonParse(),
    jsonGet(),
    httpGet(net),
    httpPost(net),
    fileRead(read),
    fileWrite(write),
    llmComplete(options.llm),
    timeNow(),
    sleep(),
  ];
}
