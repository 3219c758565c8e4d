// Files a command writes besides its output (`--trace`): checked before the
// work starts, written after it, and a failure to write never costs the
// output itself.
import { stat, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { UsageError } from "./io.js";

/** Fails before the run, not after it, when an output file could never be written. */
export async function outputPath(flag: string, file: string, cwd: string): Promise<string> {
  const path = resolve(cwd, file);
  const isDir = (p: string) =>
    stat(p).then(
      (s) => s.isDirectory(),
      () => false,
    );
  if (!(await isDir(dirname(path))))
    throw new UsageError(`${flag} ${file}: no such directory ${dirname(file)}`);
  if (await isDir(path)) throw new UsageError(`${flag} ${file}: is a directory`);
  return path;
}

/** Writes `data` as indented JSON; says why it could not, if it could not. */
export async function writeJsonFile(path: string, data: unknown): Promise<string | undefined> {
  try {
    await writeFile(path, `${JSON.stringify(data, null, 2)}\n`);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EISDIR") return "is a directory";
    if (code === "ENOENT") return "no such directory";
    if (code === "EACCES" || code === "EPERM") return "permission denied";
    return e instanceof Error ? e.message : String(e);
  }
}
