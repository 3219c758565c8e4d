#!/usr/bin/env node
import { main } from "../dist/cli/main.js";

const code = await main(process.argv.slice(2));
// Exit rather than wait for the event loop to drain: a tool that ignores its
// abort signal (after a timeout, the deadline or Ctrl-C) would otherwise keep
// weft alive until it finishes. Output still in the pipes is flushed first.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);

/** Resolves once everything written to `stream` so far has been handed to the OS. */
function flushed(stream) {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) return resolve();
    // Write callbacks run in order: this one runs after every earlier write.
    stream.once("error", resolve);
    stream.write("", () => {
      stream.off("error", resolve);
      resolve();
    });
  });
}
