// What the standard library may touch. Everything is denied unless the host
// grants it: network hosts (--allow-net / allowNet), directories to read and
// write (--allow-read, --allow-write / allowRead, allowWrite), and a model for
// llm.complete. A denied call names the flag that would grant it.
import { realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { PermanentError } from "../../compiler/tool.js";

/** A refused capability: retrying cannot help, and the message says what would. */
export function denied(tool: string, reason: string): PermanentError {
  return new PermanentError(`${tool}: ${reason}`);
}

// ## Network

/** Hosts as `--allow-net` takes them: `example.com` (any port) or `example.com:8080`. */
export class NetPolicy {
  readonly #allowed: Set<string>;

  constructor(hosts: readonly string[] = []) {
    this.#allowed = new Set(hosts.map(grantOf).filter((h) => h !== ""));
  }

  /** Why `url` may not be fetched, or undefined when it may. */
  refusal(url: URL): string | undefined {
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return `only http: and https: URLs can be fetched, not ${url.protocol}`;
    const hostname = url.hostname.toLowerCase();
    const port = url.port === "" ? (url.protocol === "https:" ? "443" : "80") : url.port;
    if (this.#allowed.has(hostname) || this.#allowed.has(`${hostname}:${port}`)) return undefined;
    // Suggest the narrowest grant: with the port only when the URL names one.
    const grant = url.port === "" ? hostname : `${hostname}:${url.port}`;
    return `network access to ${grant} is denied; run with --allow-net ${grant}`;
  }
}

/** A grant as written (`Example.com`, `https://example.com/`) as the host it names. */
function grantOf(written: string): string {
  const grant = written.trim().toLowerCase();
  if (grant.includes("://") && URL.canParse(grant)) {
    const url = new URL(grant);
    return url.port === "" ? url.hostname : `${url.hostname}:${url.port}`;
  }
  return grant.replace(/\/+$/, "");
}

// ## Files

export type FileAccess = "read" | "write";

/**
 * Directories a tool may reach, each resolved against `cwd` and through
 * symlinks once, so that a path is compared with where the directory really is.
 */
export class FilePolicy {
  readonly #dirs: string[];
  readonly #cwd: string;
  readonly #access: FileAccess;

  constructor(access: FileAccess, dirs: readonly string[] = [], cwd = process.cwd()) {
    this.#access = access;
    this.#cwd = cwd;
    this.#dirs = dirs.map((d) => realPath(resolve(cwd, d)));
  }

  get allowsAny(): boolean {
    return this.#dirs.length > 0;
  }

  /** The message of a call that no directory allows. */
  refusalFor(path: string): string {
    const verb = this.#access === "read" ? "reading" : "writing";
    const flag = this.#access === "read" ? "--allow-read" : "--allow-write";
    return `${verb} ${path} is denied; run with ${flag} DIR (a directory that contains it)`;
  }

  /**
   * The real path of `path` when it lies inside an allowed directory, else a
   * refusal. `..` is resolved first and every symlink on the way is followed,
   * so neither a `../` nor a link pointing outside gets past.
   */
  check(path: string): { ok: true; path: string } | { ok: false; reason: string } {
    const real = realPath(resolve(this.#cwd, path));
    for (const dir of this.#dirs) if (isInside(real, dir)) return { ok: true, path: real };
    // The path as written, and where it really leads when that differs.
    return { ok: false, reason: this.refusalFor(real === path ? path : `${path} (${real})`) };
  }
}

/**
 * Where `path` really is: the real path of its deepest existing ancestor, with
 * the rest (which does not exist yet, so holds no symlink) appended.
 */
function realPath(path: string): string {
  let existing = path;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = realpathSync.native(existing);
      return rest.length === 0 ? real : join(real, ...rest.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return path;
      rest.push(existing.slice(parent.length).replace(/^[\\/]+/, ""));
      existing = parent;
    }
  }
}

function isInside(path: string, dir: string): boolean {
  if (path === dir) return true;
  const rel = relative(dir, path);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}
