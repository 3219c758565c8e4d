// Runs the CLI in-process with captured output.
import { main } from "../src/cli/main.js";
import type { Io } from "../src/cli/io.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function weft(
  argv: string[],
  options: { cwd?: string; stdin?: string } = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readStdin: () => Promise.resolve(options.stdin ?? ""),
    cwd: options.cwd ?? process.cwd(),
    color: { stdout: false, stderr: false },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
