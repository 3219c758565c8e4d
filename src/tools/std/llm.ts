// llm.complete: ReWOO's `LLM[...]` worker, one chat completion from the
// OpenAI-compatible model the host configured. Without a model it is denied.
import OpenAI from "openai";
import { z } from "zod";
import { defineTool, PermanentError } from "../../compiler/tool.js";
import { denied } from "./capabilities.js";
import { transientStatus } from "./http.js";

const LLM_TIMEOUT_MS = 120_000;
const MAX_PROMPT_LENGTH = 200_000;

export interface LlmConfig {
  baseURL?: string;
  apiKey?: string;
  model?: string;
}

// The model is missing, so name its variable too: OPENAI_BASE_URL alone would not grant it.
const NO_MODEL =
  "no model configured; pass --model and --base-url (or set WEFT_MODEL and OPENAI_BASE_URL)";

/** Why llm.complete cannot run with `config`, or undefined when it can. */
function missing(config: LlmConfig | undefined): string | undefined {
  if (config?.model === undefined || config.model === "") return NO_MODEL;
  if (config.baseURL === undefined && config.apiKey === undefined)
    return `no model server for ${config.model}; pass --base-url (or set OPENAI_BASE_URL)`;
  return undefined;
}

export function llmComplete(config: LlmConfig | undefined) {
  let client: OpenAI | undefined;
  return defineTool({
    name: "llm.complete",
    description:
      "Asks the language model: its answer to `prompt`, with an optional `system` instruction",
    input: z.object({
      prompt: z.string().max(MAX_PROMPT_LENGTH),
      system: z.string().max(MAX_PROMPT_LENGTH).optional(),
    }),
    output: z.string(),
    timeoutMs: LLM_TIMEOUT_MS + 1000,
    precheck: () => missing(config),
    async run({ prompt, system }, ctx) {
      const why = missing(config);
      if (why !== undefined || config === undefined) throw denied("llm.complete", why ?? NO_MODEL);
      client ??= new OpenAI({
        baseURL: config.baseURL,
        // A local server often needs no key, but the client insists on one.
        apiKey: config.apiKey ?? "none",
        maxRetries: 0,
        timeout: LLM_TIMEOUT_MS,
      });
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
      if (system !== undefined) messages.push({ role: "system", content: system });
      messages.push({ role: "user", content: prompt });
      let completion: OpenAI.Chat.ChatCompletion;
      try {
        completion = await client.chat.completions.create(
          { model: config.model as string, messages },
          { signal: ctx.signal },
        );
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        const status = (e as { status?: number }).status;
        // Without a status the server never answered: "Connection error." alone does not say which.
        const where = status === undefined ? `cannot reach ${client.baseURL}: ` : "";
        const message = `llm.complete: ${where}${(e as Error).message}`;
        // Bad requests, keys and models stay bad; throttling, timeouts and server errors may pass.
        const permanent = status !== undefined && status >= 400 && !transientStatus(status);
        throw permanent ? new PermanentError(message) : new Error(message);
      }
      const content = completion.choices[0]?.message.content;
      if (typeof content !== "string") throw new Error("llm.complete: the model returned no text");
      return content;
    },
  });
}
