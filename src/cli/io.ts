// The CLI's window on the world, injectable so tests run commands in-process.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  cwd: string;
  /** Colour output on stdout / stderr. */
  color: { stdout: boolean; stderr: boolean };
  /** Whether stderr is a terminal: `weft run` draws its live progress view there. */
  isTTY: { stderr: boolean };
  /**
   * Calls `handler` on an interrupt (Ctrl-C) until the returned function is
   * called. Absent when interrupts cannot happen (in-process tests).
   */
  onInterrupt?: (handler: () => void) => () => void;
}

/**
 * A reader that stops early (`weft ... | head`) closes the pipe under us:
 * that ends the command quietly, as it does for other Unix tools, instead of
 * an unhandled EPIPE with a stack trace.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  if (stream.listenerCount("error") > 0) return;
  stream.on("error", (e: NodeJS.ErrnoException) => {
    process.exit(e.code === "EPIPE" ? 0 : 2);
  });
}

export function processIo(): Io {
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  const tty = (s: NodeJS.WriteStream): boolean =>
    s.isTTY === true && process.env["NO_COLOR"] === undefined;
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    cwd: process.cwd(),
    color: { stdout: tty(process.stdout), stderr: tty(process.stderr) },
    isTTY: { stderr: process.stderr.isTTY === true },
    onInterrupt: (handler) => {
      let count = 0;
      const listener = (): void => {
        // The first Ctrl-C asks the command to stop cleanly; a second one
        // means "now", even if a tool ignores its abort signal.
        if (++count > 1) process.exit(130);
        handler();
      };
      process.on("SIGINT", listener);
      return () => void process.off("SIGINT", listener);
    },
  };
}

/** A failure the user caused (bad path, bad module): one line on stderr, exit 2. */
export class UsageError extends Error {}

export async function readSource(io: Io, file: string): Promise<string> {
  if (file === "-") return io.readStdin();
  try {
    return await readFile(resolve(io.cwd, file), "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "is a directory"
          : (e as Error).message;
    throw new UsageError(`cannot read ${file}: ${why}`);
  }
}

/** The name diagnostics show for a file argument. */
export function displayName(file: string): string {
  return file === "-" ? "<stdin>" : file;
}
