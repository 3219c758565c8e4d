// Runs the CLI in-process with captured output.
import { main } from "../src/cli/main.js";
import type { Io } from "../src/cli/io.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  stdin?: string;
  /** Pretend stderr is a terminal (the live progress view of `weft run`). */
  tty?: boolean;
  /** Stands in for Ctrl-C: receives the command's interrupt handler. */
  onInterrupt?: Io["onInterrupt"];
}

export async function weft(argv: string[], options: CliOptions = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readStdin: () => Promise.resolve(options.stdin ?? ""),
    cwd: options.cwd ?? process.cwd(),
    color: { stdout: false, stderr: false },
    isTTY: { stderr: options.tty ?? false },
    ...(options.onInterrupt === undefined ? {} : { onInterrupt: options.onInterrupt }),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
