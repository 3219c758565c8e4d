import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { formatText } from "../../parser/format.js";
import { renderDiagnostics } from "../../diagnostics/render.js";
import { displayName, readSource, UsageError, type Io } from "../io.js";

export interface FmtFlags {
  check?: boolean;
  write?: boolean;
}

export async function runFmt(files: string[], flags: FmtFlags, io: Io): Promise<number> {
  if (flags.check === true && flags.write === true)
    throw new UsageError("use either --check or --write, not both");
  if (flags.write === true && files.includes("-"))
    throw new UsageError("--write needs files, not standard input");
  let failed = false;
  const changed: string[] = [];
  for (const file of files) {
    const text = await readSource(io, file);
    const name = displayName(file);
    const r = formatText(text);
    if (r.text === undefined) {
      io.stderr(
        `${renderDiagnostics(r.diagnostics, text, { file: name, color: io.color.stderr })}\n`,
      );
      failed = true;
      continue;
    }
    if (flags.check === true) {
      if (r.text !== text) changed.push(name);
    } else if (flags.write === true) {
      if (r.text !== text) {
        await writeFile(resolve(io.cwd, file), r.text);
        io.stderr(`formatted ${name}\n`);
      }
    } else {
      io.stdout(r.text);
    }
  }
  if (flags.check === true) {
    for (const name of changed) io.stdout(`would reformat ${name}\n`);
    if (changed.length === 0 && !failed)
      io.stdout(`ok: ${files.length} file${files.length === 1 ? "" : "s"} formatted\n`);
  }
  return failed || changed.length > 0 ? 1 : 0;
}
