// file.read and file.write, kept inside the directories the host granted:
// a path is resolved against the working directory, `..` is resolved, and
// every symlink on the way is followed before the check (capabilities.ts).
import { mkdir, open, writeFile } from "node:fs/promises";
import { constants } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { defineTool, PermanentError } from "../../compiler/tool.js";
import { denied, type FilePolicy } from "./capabilities.js";

const MAX_FILE_BYTES = 5 * 1024 * 1024;
// Absent on Windows, where neither applies.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

function allowed(tool: string, policy: FilePolicy, path: string): string {
  const checked = policy.check(path);
  if (!checked.ok) throw denied(tool, checked.reason);
  return checked.path;
}

function precheckPath(policy: FilePolicy, path: unknown): string | undefined {
  if (typeof path !== "string") return policy.allowsAny ? undefined : policy.refusalFor("any file");
  const checked = policy.check(path);
  return checked.ok ? undefined : checked.reason;
}

function fsError(tool: string, path: string, e: unknown): Error {
  const code = (e as { code?: string }).code;
  const reason =
    code === "ENOENT"
      ? "no such file"
      : code === "EISDIR"
        ? "it is a directory"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : code === "ENXIO"
            ? "it is a FIFO or socket with no reader"
            : (e as Error).message;
  return new PermanentError(
    `${tool}: cannot ${tool === "file.read" ? "read" : "write"} ${path}: ${reason}`,
  );
}

export function fileRead(policy: FilePolicy) {
  return defineTool({
    name: "file.read",
    description: "Reads a UTF-8 text file (at most 5 MiB)",
    input: z.object({ path: z.string().min(1) }),
    output: z.string(),
    precheck: (args) => precheckPath(policy, args["path"]),
    async run({ path }) {
      const real = allowed("file.read", policy, path);
      let handle;
      try {
        // O_NOFOLLOW: a symlink swapped in for the file after the check is refused,
        // not followed. O_NONBLOCK: opening a FIFO would otherwise wait for a
        // writer forever (and hold a libuv thread); it is refused below instead.
        handle = await open(real, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
      } catch (e) {
        throw fsError("file.read", path, e);
      }
      try {
        const stat = await handle.stat();
        if (!stat.isFile()) throw new PermanentError(`file.read: ${path} is not a regular file`);
        if (stat.size > MAX_FILE_BYTES)
          throw new PermanentError(
            `file.read: ${path} is ${stat.size} bytes, more than the ${MAX_FILE_BYTES} allowed`,
          );
        const buffer = Buffer.alloc(stat.size);
        const { bytesRead } = await handle.read(buffer, 0, stat.size, 0);
        return buffer.subarray(0, bytesRead).toString("utf8");
      } finally {
        await handle.close();
      }
    },
  });
}

export function fileWrite(policy: FilePolicy) {
  return defineTool({
    name: "file.write",
    description:
      "Writes text to a file, creating missing directories; returns its path and the bytes written",
    input: z.object({ path: z.string().min(1), content: z.string().max(MAX_FILE_BYTES) }),
    output: z.object({ path: z.string(), bytes: z.number() }),
    effect: true,
    precheck: (args) => precheckPath(policy, args["path"]),
    async run({ path, content }) {
      const real = allowed("file.write", policy, path);
      try {
        await mkdir(dirname(real), { recursive: true });
        const flags =
          constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | NOFOLLOW | NONBLOCK;
        await writeFile(real, content, { encoding: "utf8", flag: flags });
      } catch (e) {
        throw fsError("file.write", path, e);
      }
      return { path: real, bytes: Buffer.byteLength(content) };
    },
  });
}
