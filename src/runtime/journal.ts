// ## The call journal: an append-only JSONL file, one line per finished call.
//
//   {"v":1,"nodeId":"n3","tool":"search","argsHash":"…","occurrence":0,"result":…,"t":"2025-…Z"}
//
// A record is on disk (written and `datasync`ed) before `record()` resolves,
// so a result is never used downstream before it would survive a crash.
// Concurrent records are group-committed: whatever is queued while one write
// is in flight goes out as the next single write, so lines never interleave
// and a burst of finished calls costs one sync, not one each.
//
// Reading back: a crash can only cut the last line short (every write appends
// whole lines), so a torn tail is dropped and truncated away before anything
// is appended. Any other bad line means someone else wrote to the file; the
// journal then refuses to open (JournalError naming the line) rather than
// guess — skipping it would silently run a finished call again.
import { open, stat, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import type { CallJournal, JournalRecord } from "./journal-types.js";

export const JOURNAL_VERSION = 1;

/** The journal cannot be opened, read or written; the message says which file and why. */
export class JournalError extends Error {
  override readonly name = "JournalError";
}

/** One line of the file. */
interface StoredRecord {
  v: number;
  nodeId: string;
  tool: string;
  argsHash: string;
  occurrence: number;
  result?: unknown;
  t: string;
}

function key(tool: string, argsHash: string, occurrence: number): string {
  return `${tool}\u0000${argsHash}\u0000${occurrence}`;
}

function errnoMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a parent is not a directory";
    case "ENOSPC":
      return "no space left on the device";
    default:
      return err instanceof Error ? err.message : String(e);
  }
}

/** Why `value` is not a record of this journal version, or undefined when it is one. */
function recordProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return "not a JSON object";
  const r = value as Record<string, unknown>;
  if (r["v"] !== JOURNAL_VERSION)
    return typeof r["v"] === "number"
      ? `journal format version ${r["v"]} (this weft reads version ${JOURNAL_VERSION})`
      : "no format version `v`";
  for (const field of ["nodeId", "tool", "argsHash"] as const)
    if (typeof r[field] !== "string") return `\`${field}\` is not a string`;
  const occ = r["occurrence"];
  if (typeof occ !== "number" || !Number.isInteger(occ) || occ < 0)
    return "`occurrence` is not a non-negative integer";
  return undefined;
}

function parseLine(line: string): { record?: StoredRecord; problem?: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: "not valid JSON" };
  }
  const problem = recordProblem(value);
  return problem === undefined ? { record: value as StoredRecord } : { problem };
}

interface Loaded {
  records: StoredRecord[];
  /** Bytes of the file that hold whole records; anything after is a torn tail. */
  validBytes: number;
  /** A valid last record without its newline: one must be written before appending. */
  needsNewline: boolean;
}

/** Splits the file into records; throws JournalError on a bad line that is not the torn tail. */
function load(buf: Buffer, path: string): Loaded {
  const records: StoredRecord[] = [];
  let start = 0;
  let lineNo = 0;
  while (start < buf.length) {
    lineNo++;
    const nl = buf.indexOf(0x0a, start);
    const last = nl === -1;
    const end = last ? buf.length : nl;
    const text = buf.toString("utf8", start, end).trim();
    if (text !== "") {
      const { record, problem } = parseLine(text);
      if (record !== undefined) {
        records.push(record);
      } else if (last) {
        // The tail a crash cut short: drop it.
        return { records, validBytes: start, needsNewline: false };
      } else {
        throw new JournalError(
          `journal ${path} is damaged: line ${lineNo} is ${problem ?? "invalid"}; ` +
            "remove that line (its call will run again) or delete the journal to start over",
        );
      }
    }
    if (last) return { records, validBytes: buf.length, needsNewline: text !== "" };
    start = nl + 1;
  }
  return { records, validBytes: buf.length, needsNewline: false };
}

interface Pending {
  line: string;
  resolve: () => void;
  reject: (e: unknown) => void;
}

class FileJournal implements CallJournal {
  readonly #path: string;
  readonly #file: FileHandle;
  readonly #results = new Map<string, { result: unknown }>();
  #queue: Pending[] = [];
  /** The write in flight, if any; the next batch waits for it. */
  #flushing: Promise<void> | undefined;
  /** Set after a failed write: the file's tail is unknown, so nothing more is appended. */
  #broken: JournalError | undefined;
  #closed = false;
  #prefix: string;

  constructor(path: string, file: FileHandle, loaded: Loaded) {
    this.#path = path;
    this.#file = file;
    this.#prefix = loaded.needsNewline ? "\n" : "";
    for (const r of loaded.records) {
      const k = key(r.tool, r.argsHash, r.occurrence);
      // The first record wins: a later duplicate can only repeat a result already used.
      if (!this.#results.has(k)) this.#results.set(k, { result: r.result });
    }
  }

  /** Records read from the file at open time plus those written since. */
  get size(): number {
    return this.#results.size;
  }

  lookup(tool: string, argsHash: string, occurrence: number): { result: unknown } | undefined {
    return this.#results.get(key(tool, argsHash, occurrence));
  }

  record(entry: JournalRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new JournalError(`journal ${this.#path} is closed`));
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    const stored: StoredRecord = {
      v: JOURNAL_VERSION,
      nodeId: entry.nodeId,
      tool: entry.tool,
      argsHash: entry.argsHash,
      occurrence: entry.occurrence,
      result: entry.result,
      t: new Date().toISOString(),
    };
    let line: string;
    try {
      line = `${JSON.stringify(stored)}\n`;
    } catch (e) {
      return Promise.reject(
        new JournalError(
          `journal ${this.#path}: the result of ${entry.tool} (${entry.nodeId}) is not JSON-serialisable: ${errnoMessage(e)}`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({
        line,
        resolve: () => {
          const k = key(entry.tool, entry.argsHash, entry.occurrence);
          if (!this.#results.has(k)) this.#results.set(k, { result: entry.result });
          resolve();
        },
        reject,
      });
      if (this.#flushing === undefined) this.#flushing = this.#drain();
    });
  }

  /** Writes batches until the queue is empty; one write and one sync per batch. */
  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      if (this.#broken !== undefined) {
        for (const p of batch) p.reject(this.#broken);
        continue;
      }
      try {
        await this.#file.appendFile(this.#prefix + batch.map((p) => p.line).join(""));
        this.#prefix = "";
        await this.#file.datasync();
        for (const p of batch) p.resolve();
      } catch (e) {
        this.#broken = new JournalError(`cannot write journal ${this.#path}: ${errnoMessage(e)}`);
        for (const p of batch) p.reject(this.#broken);
      }
    }
    this.#flushing = undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#flushing !== undefined) await this.#flushing;
    await this.#file.close();
  }
}

/** Makes a new file's directory entry durable too; a no-op where directories cannot be synced. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open a directory; its file system journals metadata anyway.
  }
}

/**
 * Opens (or creates) the journal at `path` and reads the calls it holds.
 * Rejects with a JournalError when the directory is missing, the file cannot
 * be read or written, or a line other than a torn last one is not a record.
 */
export async function openJournal(path: string): Promise<CallJournal & { readonly size: number }> {
  const dir = dirname(path);
  try {
    const s = await stat(dir);
    if (!s.isDirectory())
      throw new JournalError(`cannot open journal ${path}: ${dir} is not a directory`);
  } catch (e) {
    if (e instanceof JournalError) throw e;
    throw new JournalError(`cannot open journal ${path}: directory ${dir}: ${errnoMessage(e)}`);
  }
  const existed = await stat(path).then(
    () => true,
    () => false,
  );
  let file: FileHandle;
  try {
    // "a+": created when missing, readable, and every write goes to the end.
    file = await open(path, "a+");
    if (!existed) await syncDirectory(dir);
  } catch (e) {
    throw new JournalError(`cannot open journal ${path}: ${errnoMessage(e)}`);
  }
  try {
    const loaded = load(await file.readFile(), path);
    const { size } = await file.stat();
    if (loaded.validBytes < size) {
      await file.truncate(loaded.validBytes);
      await file.datasync();
    }
    return new FileJournal(path, file, loaded);
  } catch (e) {
    await file.close().catch(() => undefined);
    if (e instanceof JournalError) throw e;
    throw new JournalError(`cannot read journal ${path}: ${errnoMessage(e)}`);
  }
}
