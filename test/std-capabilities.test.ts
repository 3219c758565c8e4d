// Capabilities of the standard library: denied by default with a message that
// names the flag, warned about by the checker (C020), and working once
// granted, against real loopback servers and real directories.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { checkSource } from "../src/compiler/compile.js";
import { defineTool } from "../src/compiler/tool.js";
import { run } from "../src/runtime/run.js";
import { stdTools, type StdOptions } from "../src/tools/std/index.js";
import { call, callFailure as failure, tool } from "./fixtures/std-call.js";
import { startFakeOpenAI } from "./support/openai-server.js";

function warnings(plan: string, options: StdOptions = {}): string[] {
  return checkSource(plan, { tools: stdTools(options) })
    .diagnostics.filter((d) => d.code === "C020")
    .map((d) => `${d.range.start.line}:${d.range.start.column} ${d.message}`);
}

// ## Denied by default

describe("denied by default, with the flag that grants it", () => {
  it.each([
    [
      "http.get",
      { url: "https://example.com/a" },
      "http.get: network access to example.com is denied; run with --allow-net example.com",
    ],
    [
      "http.post",
      { url: "http://api.example.com:8080/x", body: { a: 1 } },
      "http.post: network access to api.example.com:8080 is denied; run with --allow-net api.example.com:8080",
    ],
    [
      "file.read",
      { path: "/etc/passwd" },
      "file.read: reading /etc/passwd is denied; run with --allow-read DIR",
    ],
    [
      "file.write",
      { path: "/tmp/x.txt", content: "x" },
      "file.write: writing /tmp/x.txt is denied; run with --allow-write DIR",
    ],
    [
      "llm.complete",
      { prompt: "hi" },
      "llm.complete: no model configured; pass --model and --base-url (or set WEFT_MODEL and OPENAI_BASE_URL)",
    ],
  ])("%s", async (name, args, message) => {
    const error = await failure(name, args);
    expect(error.message.startsWith(message)).toBe(true);
    expect(error.permanent).toBe(true);
  });

  it("names the missing server when only a model is given", async () => {
    const error = await failure("llm.complete", { prompt: "hi" }, { llm: { model: "m" } });
    expect(error.message).toBe(
      "llm.complete: no model server for m; pass --base-url (or set OPENAI_BASE_URL)",
    );
  });

  it("refuses schemes other than http and https", async () => {
    const error = await failure("http.get", { url: "file:///etc/passwd" }, { allowNet: ["*"] });
    expect(error.message).toMatch(/only http: and https: URLs/);
  });

  it("fails a run once, without retrying, and names the flag", async () => {
    const result = await run(`return http.get("https://example.com/")`, {
      tools: stdTools(),
      retries: 3,
    });
    expect(result.ok).toBe(false);
    expect(result.errors[0]?.message).toMatch(/--allow-net example\.com/);
    expect(result.trace.nodes[0]?.attempts).toBe(1);
  });
});

describe("checker warning C020", () => {
  it("warns about a literal URL whose host is not allowed", () => {
    const plan = `$page = http.get("https://example.com")\nreturn $page`;
    expect(warnings(plan)).toEqual([
      "1:9 this call will be denied: network access to example.com is denied; run with --allow-net example.com",
    ]);
    expect(warnings(plan, { allowNet: ["example.com"] })).toEqual([]);
    expect(warnings(plan, { allowNet: ["example.com:443"] })).toEqual([]);
    expect(warnings(plan, { allowNet: ["example.com:8443"] })).toHaveLength(1);
    // A grant written as a URL, or in capitals, names its host.
    expect(warnings(plan, { allowNet: ["https://Example.COM/"] })).toEqual([]);
    expect(warnings(plan, { allowNet: ["api.example.com", "example.org"] })).toHaveLength(1);
  });

  it("reads named arguments and literal types inside each, not interpolated strings", () => {
    const plan = [
      `input $host: string`,
      `$a = http.post(body: 1, url: "http://a.test/x")`,
      `$b = each $u in ["http://b.test/1"]: http.get($u)`,
      `$c = http.get("http://$host/x")`,
      `return [$a, $b, $c]`,
    ].join("\n");
    // `$u` can only be the one literal of the list; `$c` could be any host.
    expect(warnings(plan)).toEqual([
      "2:6 this call will be denied: network access to a.test is denied; run with --allow-net a.test",
      "3:38 this call will be denied: network access to b.test is denied; run with --allow-net b.test",
    ]);
  });

  it("warns about any file call when no directory is allowed, and about paths outside", () => {
    const plan = [
      `input $p: string`,
      `$a = file.read($p)`,
      `$b = file.write("/etc/x", "y")`,
      `$c = file.read("notes/a.txt")`,
      `return [$a, $b, $c]`,
    ].join("\n");
    const none = warnings(plan, { cwd: "/srv/app" });
    expect(none).toHaveLength(3);
    expect(none[0]).toMatch(/^2:6 .*--allow-read/);
    expect(none[1]).toMatch(/^3:6 .*writing \/etc\/x is denied; run with --allow-write/);
    expect(warnings(plan, { cwd: "/srv/app", allowRead: ["notes"], allowWrite: ["/etc"] })).toEqual(
      [],
    );
  });

  it("warns about llm.complete without a model", () => {
    const plan = `return llm.complete("hi")`;
    expect(warnings(plan)).toEqual([
      "1:8 this call will be denied: no model configured; pass --model and --base-url (or set WEFT_MODEL and OPENAI_BASE_URL)",
    ]);
    expect(warnings(plan, { llm: { model: "m", baseURL: "http://127.0.0.1:1/v1" } })).toEqual([]);
  });

  it("ignores a precheck that throws, and passes only literal arguments by name", () => {
    const seen: Record<string, unknown>[] = [];
    const probe = defineTool({
      name: "probe",
      input: z.object({ a: z.string(), b: z.number().optional() }),
      precheck: (args) => {
        seen.push({ ...args });
        if (args["a"] === "boom") throw new Error("broken precheck");
        return args["a"] === "no" ? "not this one" : undefined;
      },
      run: () => 1,
    });
    const plan = [
      `input $x: string`,
      `$p = probe("boom")`,
      `$q = probe("no", 2)`,
      `$r = probe($x, b: 3)`,
      `return [$p, $q, $r]`,
    ].join("\n");
    const result = checkSource(plan, { tools: [probe] });
    expect(result.diagnostics.map((d) => `${d.range.start.line} ${d.code} ${d.message}`)).toEqual([
      "3 C020 this call will be denied: not this one",
    ]);
    expect(seen).toEqual([{ a: "boom" }, { a: "no", b: 2 }, { b: 3 }]);
  });

  it("is a warning: the plan still compiles", () => {
    const result = checkSource(`return http.get("https://example.com")`, { tools: stdTools() });
    expect(result.diagnostics.map((d) => [d.code, d.severity])).toEqual([["C020", "warning"]]);
  });
});

// ## HTTP against a loopback server

describe("http.get and http.post, granted", () => {
  let server: Server;
  let base: string;
  let port: number;
  /** Requests held by /wait/* until both have arrived: proof that they overlap. */
  const waiting: ServerResponse[] = [];
  /** Requests to /hang, never answered; `arrived` is called as each comes in. */
  const hung: ServerResponse[] = [];
  let arrived: (() => void) | undefined;

  function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? "/", "http://x");
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    switch (url.pathname) {
      case "/json":
        return json(200, { name: "weft", list: [1, 2, 3] });
      case "/text":
        res.writeHead(200, { "content-type": "text/plain" });
        return void res.end("plain text");
      case "/echo":
        return json(200, {
          method: req.method,
          type: req.headers["content-type"],
          auth: req.headers["authorization"] ?? null,
          key: req.headers["x-api-key"] ?? null,
          body,
        });
      case "/redirect":
        res.writeHead(302, { location: "/json" });
        return void res.end();
      case "/see-other":
        res.writeHead(303, { location: "/echo" });
        return void res.end();
      case "/away":
        // Same server, another name: `localhost` is not on the allow list.
        res.writeHead(302, { location: `http://localhost:${port}/json` });
        return void res.end();
      case "/away-echo":
        res.writeHead(302, { location: `http://localhost:${port}/echo` });
        return void res.end();
      case "/loop":
        res.writeHead(302, { location: "/loop" });
        return void res.end();
      case "/big":
        res.writeHead(200, { "content-type": "text/plain" });
        return void res.end("x".repeat(5 * 1024 * 1024 + 1));
      case "/hang":
        hung.push(res);
        arrived?.();
        return;
      case "/bad-location":
        res.writeHead(302, { location: "http://[::1" });
        return void res.end();
      case "/missing":
        return json(404, { error: "nope" });
      case "/broken":
        return json(503, { error: "later" });
      default:
        if (url.pathname.startsWith("/wait/")) {
          waiting.push(res);
          if (waiting.length === 2)
            for (const r of waiting.splice(0)) {
              r.writeHead(200, { "content-type": "application/json" });
              r.end(JSON.stringify({ id: r === res ? "second" : "first" }));
            }
          return;
        }
        return json(500, { error: `no route ${url.pathname}` });
    }
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => (body += c));
      req.on("end", () => handle(req, res, body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    for (const res of hung) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const allowed = (): StdOptions => ({ allowNet: [`127.0.0.1:${port}`] });

  it("gets JSON (parsed) and text", async () => {
    const got = (await call("http.get", { url: `${base}/json` }, allowed())) as {
      status: number;
      headers: Record<string, string>;
      body: unknown;
    };
    expect(got.status).toBe(200);
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.body).toEqual({ name: "weft", list: [1, 2, 3] });
    const text = (await call("http.get", { url: `${base}/text` }, allowed())) as { body: unknown };
    expect(text.body).toBe("plain text");
  });

  it("allows a host on any port when the grant names no port", async () => {
    const got = (await call("http.get", { url: `${base}/text` }, { allowNet: ["127.0.0.1"] })) as {
      body: unknown;
    };
    expect(got.body).toBe("plain text");
    const error = await failure("http.get", { url: `${base}/text` }, { allowNet: ["127.0.0.1:1"] });
    expect(error.message).toContain(`run with --allow-net 127.0.0.1:${port}`);
  });

  it("posts text as is and other values as JSON", async () => {
    const json = (await call("http.post", { url: `${base}/echo`, body: { a: 1 } }, allowed())) as {
      body: unknown;
    };
    expect(json.body).toEqual({
      method: "POST",
      type: "application/json",
      auth: null,
      key: null,
      body: '{"a":1}',
    });
    const text = (await call(
      "http.post",
      { url: `${base}/echo`, body: "hello", headers: { "content-type": "text/csv" } },
      allowed(),
    )) as { body: { type: string; body: string } };
    expect(text.body.type).toBe("text/csv");
    expect(text.body.body).toBe("hello");
  });

  it("follows a redirect on an allowed host; a 303 after a POST becomes a GET", async () => {
    const got = (await call("http.get", { url: `${base}/redirect` }, allowed())) as {
      body: unknown;
    };
    expect(got.body).toEqual({ name: "weft", list: [1, 2, 3] });
    const posted = (await call(
      "http.post",
      { url: `${base}/see-other`, body: "x", headers: { authorization: "Bearer t" } },
      allowed(),
    )) as { body: { method: string; body: string; auth: string } };
    expect(posted.body).toMatchObject({ method: "GET", body: "", auth: "Bearer t" });
  });

  it("keeps the plan's headers on a same-origin redirect and drops them all on another origin", async () => {
    const headers = { authorization: "Bearer t", "x-api-key": "secret" };
    const same = (await call("http.get", { url: `${base}/see-other`, headers }, allowed())) as {
      body: { auth: string | null; key: string | null };
    };
    expect(same.body).toMatchObject({ auth: "Bearer t", key: "secret" });
    const other = (await call(
      "http.get",
      { url: `${base}/away-echo`, headers },
      { allowNet: [`127.0.0.1:${port}`, `localhost:${port}`] },
    )) as { body: { auth: string | null; key: string | null } };
    expect(other.body).toMatchObject({ auth: null, key: null });
  });

  it("refuses a redirect to a host that is not allowed", async () => {
    const error = await failure("http.get", { url: `${base}/away` }, allowed());
    expect(error.message).toBe(
      `http.get: redirected to http://localhost:${port}/json: network access to localhost:${port} is denied; run with --allow-net localhost:${port}`,
    );
    expect(error.permanent).toBe(true);
  });

  it("stops after five redirects", async () => {
    const error = await failure("http.get", { url: `${base}/loop` }, allowed());
    expect(error.message).toBe("http.get: more than 5 redirects");
  });

  it("caps the size of a response", async () => {
    const error = await failure("http.get", { url: `${base}/big` }, allowed());
    expect(error.message).toMatch(/larger than 5242880 bytes/);
  });

  it("fails on error statuses: permanent for 4xx, retryable for 5xx", async () => {
    const missing = await failure("http.get", { url: `${base}/missing` }, allowed());
    expect(missing.message).toMatch(/answered 404 Not Found: \{"error":"nope"\}/);
    expect(missing.permanent).toBe(true);
    const broken = await failure("http.get", { url: `${base}/broken` }, allowed());
    expect(broken.message).toMatch(/answered 503/);
    expect(broken.permanent).toBe(false);
  });

  it("stops waiting when the call is cancelled", async () => {
    const t = tool("http.get", allowed());
    const controller = new AbortController();
    const inServer = new Promise<void>((resolve) => (arrived = resolve));
    const pending = t.run({ url: `${base}/hang` } as never, {
      signal: controller.signal,
      attempt: 1,
      node: { id: "n1" },
    });
    await inServer;
    controller.abort(new Error("cancelled by the run"));
    await expect(pending).rejects.toThrow("cancelled by the run");
  });

  it("rejects bad headers and a bad redirect location as permanent errors", async () => {
    const headers = await failure(
      "http.get",
      { url: `${base}/json`, headers: { "bad header": "x" } },
      allowed(),
    );
    expect(headers.message).toMatch(/^http\.get: .*header/i);
    expect(headers.permanent).toBe(true);
    const location = await failure("http.get", { url: `${base}/bad-location` }, allowed());
    expect(location.message).toMatch(/redirects to an invalid URL http:\/\/\[::1$/);
  });

  it("says when a server cannot be reached", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(
      "http.get",
      { url: `http://127.0.0.1:${closedPort}/` },
      { allowNet: ["127.0.0.1"] },
    );
    expect(error.message).toMatch(
      new RegExp(`^http\\.get: cannot reach 127\\.0\\.0\\.1:${closedPort}`),
    );
    expect(error.permanent).toBe(false);
  });

  it("runs a plan whose two gets overlap, then reads a field", async () => {
    const plan = [
      `$a = http.get("${base}/wait/1")`,
      `$b = http.get("${base}/wait/2")`,
      `$n = json.get($a, "body.id")`,
      `return {a: $n, b: $b.body.id, status: $a.status}`,
    ].join("\n");
    expect(warnings(plan, allowed())).toEqual([]);
    const result = await run(plan, { tools: stdTools(allowed()) });
    expect(result.errors).toEqual([]);
    // The server answers only once both requests are in: they were in flight together.
    expect(new Set([(result.value as { a: string }).a, (result.value as { b: string }).b])).toEqual(
      new Set(["first", "second"]),
    );
    expect((result.value as { status: number }).status).toBe(200);
  });
});

// ## Files in a sandbox of temporary directories

describe("file.read and file.write, granted", () => {
  let root: string;
  let inside: string;
  let outside: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "weft-std-"));
    inside = join(root, "inside");
    outside = join(root, "outside");
    mkdirSync(join(inside, "sub"), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(inside, "a.txt"), "hello");
    writeFileSync(join(inside, "sub", "b.txt"), "deep");
    writeFileSync(join(outside, "secret.txt"), "secret");
    symlinkSync(join(outside, "secret.txt"), join(inside, "link-out.txt"));
    symlinkSync(outside, join(inside, "dir-out"));
    symlinkSync(join(inside, "a.txt"), join(inside, "link-in.txt"));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const canRead = (): StdOptions => ({ allowRead: [inside], cwd: inside });
  const canWrite = (): StdOptions => ({ allowWrite: [inside], cwd: inside });

  it("reads under an allowed directory, by absolute or relative path", async () => {
    expect(await call("file.read", { path: join(inside, "a.txt") }, canRead())).toBe("hello");
    expect(await call("file.read", { path: "sub/b.txt" }, canRead())).toBe("deep");
    expect(await call("file.read", { path: "link-in.txt" }, canRead())).toBe("hello");
    // An allowed directory given relative to cwd.
    expect(
      await call("file.read", { path: "inside/a.txt" }, { allowRead: ["inside"], cwd: root }),
    ).toBe("hello");
  });

  it("refuses `..` out of the allowed directory", async () => {
    for (const path of [
      "../outside/secret.txt",
      join(inside, "..", "outside", "secret.txt"),
      "..",
    ]) {
      const error = await failure("file.read", { path }, canRead());
      expect(error.message).toMatch(/^file\.read: reading .* is denied; run with --allow-read DIR/);
      expect(error.permanent).toBe(true);
    }
  });

  it("refuses symlinks that lead outside, to a file or through a directory", async () => {
    for (const path of ["link-out.txt", "dir-out/secret.txt", "dir-out/new.txt"]) {
      const error = await failure("file.read", { path }, canRead());
      expect(error.message).toContain("is denied; run with --allow-read DIR");
      expect(error.message).toContain(outside);
    }
    const error = await failure(
      "file.write",
      { path: "dir-out/new.txt", content: "x" },
      canWrite(),
    );
    expect(error.message).toMatch(/^file\.write: writing .* is denied; run with --allow-write DIR/);
    expect(() => readFileSync(join(outside, "new.txt"))).toThrow();
  });

  it("writes under an allowed directory, creating directories", async () => {
    const written = await call(
      "file.write",
      { path: "out/new/c.txt", content: "héllo" },
      canWrite(),
    );
    expect(written).toEqual({ path: join(inside, "out", "new", "c.txt"), bytes: 6 });
    expect(readFileSync(join(inside, "out", "new", "c.txt"), "utf8")).toBe("héllo");
  });

  it("keeps read and write grants apart", async () => {
    const write = await failure("file.write", { path: "a.txt", content: "x" }, canRead());
    expect(write.message).toMatch(/--allow-write/);
    const read = await failure("file.read", { path: "a.txt" }, canWrite());
    expect(read.message).toMatch(/--allow-read/);
    expect(readFileSync(join(inside, "a.txt"), "utf8")).toBe("hello");
  });

  it("reports a missing file, a directory and an oversized file", async () => {
    expect((await failure("file.read", { path: "nope.txt" }, canRead())).message).toMatch(
      /cannot read nope\.txt: no such file/,
    );
    expect((await failure("file.read", { path: "sub" }, canRead())).message).toMatch(
      /sub is not a regular file/,
    );
    writeFileSync(join(inside, "big.txt"), Buffer.alloc(5 * 1024 * 1024 + 1));
    expect((await failure("file.read", { path: "big.txt" }, canRead())).message).toMatch(
      /more than the 5242880 allowed/,
    );
  });

  it.skipIf(process.platform === "win32")(
    "refuses a FIFO at once instead of waiting for its writer or reader",
    async () => {
      const fifo = join(inside, "pipe");
      execFileSync("mkfifo", [fifo]);
      expect((await failure("file.read", { path: "pipe" }, canRead())).message).toMatch(
        /pipe is not a regular file/,
      );
      expect(
        (await failure("file.write", { path: "pipe", content: "x" }, canWrite())).message,
      ).toMatch(/cannot write pipe: it is a FIFO or socket with no reader/);
    },
  );

  it("writes then reads in one plan", async () => {
    const plan = [
      `$w = file.write("plan/out.txt", "from a plan")`,
      `$r = file.read("a.txt")`,
      `return [$w.bytes, $r]`,
    ].join("\n");
    const options = { allowRead: [inside], allowWrite: [inside], cwd: inside };
    expect(warnings(plan, options)).toEqual([]);
    const result = await run(plan, { tools: stdTools(options) });
    expect(result.errors).toEqual([]);
    expect(result.value).toEqual([11, "hello"]);
    expect(readFileSync(join(inside, "plan", "out.txt"), "utf8")).toBe("from a plan");
  });
});

// ## llm.complete against a loopback OpenAI-compatible server

describe("llm.complete, with a model", () => {
  it("asks the model and returns its text", async () => {
    const server = await startFakeOpenAI(["Paris"]);
    try {
      const answer = await call(
        "llm.complete",
        { prompt: "Capital of France?", system: "Answer in one word." },
        { llm: { baseURL: server.baseURL, model: "tiny" } },
      );
      expect(answer).toBe("Paris");
      expect(server.requests[0]?.body.model).toBe("tiny");
      expect(server.requests[0]?.messages).toEqual([
        { role: "system", content: "Answer in one word." },
        { role: "user", content: "Capital of France?" },
      ]);
    } finally {
      await server.close();
    }
  });

  it("runs as a plan's LLM worker", async () => {
    const server = await startFakeOpenAI((req) => `echo: ${String(req.messages[0]?.content)}`);
    try {
      const plan = [
        `$n = math.eval("6 * 7")`,
        `$a = llm.complete("the answer is $n")`,
        `return $a`,
      ].join("\n");
      const llm = { baseURL: server.baseURL, model: "tiny" };
      expect(warnings(plan, { llm })).toEqual([]);
      const result = await run(plan, { tools: stdTools({ llm }) });
      expect(result.errors).toEqual([]);
      expect(result.value).toBe("echo: the answer is 42");
    } finally {
      await server.close();
    }
  });

  it("names the server it cannot reach", async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, "127.0.0.1", done));
    const { port } = closed.address() as AddressInfo;
    await new Promise((done) => closed.close(done));
    const baseURL = `http://127.0.0.1:${port}/v1`;
    const error = await failure("llm.complete", { prompt: "x" }, { llm: { baseURL, model: "m" } });
    expect(error.message).toMatch(`llm.complete: cannot reach ${baseURL}: `);
    expect(error.permanent).toBe(false);
  });

  it("fails permanently on a client error and retryably on a server error", async () => {
    const server = await startFakeOpenAI([
      { status: 401, error: "bad key" },
      { status: 500, error: "overloaded" },
    ]);
    try {
      const llm = { baseURL: server.baseURL, model: "tiny" };
      const denied = await failure("llm.complete", { prompt: "x" }, { llm });
      expect(denied.message).toMatch(/^llm\.complete: .*bad key/);
      expect(denied.permanent).toBe(true);
      const broken = await failure("llm.complete", { prompt: "x" }, { llm });
      expect(broken.message).toMatch(/overloaded/);
      expect(broken.permanent).toBe(false);
    } finally {
      await server.close();
    }
  });
});

// ## Bounded computation

describe("bounded in time and memory", () => {
  it("stops a catastrophically backtracking regex, and the next one still works", async () => {
    const error = await failure("text.extract", { text: `${"a".repeat(40)}!`, pattern: "(a+)+$" });
    expect(error.message).toBe("text.extract: the regex took longer than 1000 ms and was stopped");
    expect(error.permanent).toBe(true);
    expect(await call("text.extract", { text: "aa!", pattern: "(a+)+!" })).toEqual(["aa"]);
  });

  it("stops a regex when the call is cancelled, running or queued", async () => {
    const slow = { text: `${"a".repeat(40)}!`, pattern: "(a+)+$" };
    const t = tool("text.extract", {});
    const ctx = (signal: AbortSignal) => ({ signal, attempt: 1, node: { id: "n1" } });
    const running = t.run(slow as never, ctx(new AbortController().signal));
    const controller = new AbortController();
    const queued = t.run(slow as never, ctx(controller.signal));
    const order: string[] = [];
    const settled = [
      Promise.resolve(running).catch(() => order.push("running")),
      Promise.resolve(queued).catch((e: Error) => order.push(`queued: ${e.message}`)),
    ];
    controller.abort(new Error("stop"));
    await Promise.all(settled);
    // The queued call ends at once, without waiting for the one ahead of it.
    expect(order).toEqual(["queued: stop", "running"]);
    const again = new AbortController();
    const cancelled = t.run(slow as never, ctx(again.signal));
    again.abort(new Error("stop again"));
    await expect(cancelled).rejects.toThrow("stop again");
    expect(await call("text.extract", { text: "b1", pattern: "[0-9]" })).toEqual(["1"]);
  });

  it("stops an expression that would exhaust memory", async () => {
    const error = await failure("math.eval", { expression: "sum(ones(20000, 20000))" });
    expect(error.message).toMatch(/^math\.eval: the expression (ran out of memory|took longer)/);
    expect(await call("math.eval", { expression: "1 + 1" })).toBe(2);
  });
});
