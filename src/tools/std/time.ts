// time.now and sleep.
import { z } from "zod";
import { defineTool } from "../../compiler/tool.js";

const MAX_SLEEP_MS = 60_000;

export function timeNow() {
  return defineTool({
    name: "time.now",
    description: "The current time: ISO 8601 text in UTC and milliseconds since 1970",
    input: z.object({}),
    output: z.object({ iso: z.string(), epochMs: z.number() }),
    run() {
      const now = Date.now();
      return { iso: new Date(now).toISOString(), epochMs: now };
    },
  });
}

export function sleep() {
  return defineTool({
    name: "sleep",
    description: `Waits \`ms\` milliseconds (at most ${MAX_SLEEP_MS}) and returns ms`,
    input: z.object({ ms: z.number().int().min(0).max(MAX_SLEEP_MS) }),
    output: z.number(),
    // A wait is what the plan asked for: never pruned, never merged.
    effect: true,
    timeoutMs: MAX_SLEEP_MS + 5000,
    run({ ms }, ctx) {
      return new Promise<number>((resolve, reject) => {
        const { signal } = ctx;
        if (signal.aborted) {
          reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
          return;
        }
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
        };
        const timer = setTimeout(() => {
          signal.removeEventListener("abort", onAbort);
          resolve(ms);
        }, ms);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    },
  });
}
