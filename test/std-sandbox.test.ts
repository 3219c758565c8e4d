// The worker sandbox behind text.extract and math.eval: jobs run one at a
// time, and a worker that overruns, crashes or never starts fails its jobs
// clearly instead of hanging them.
import { describe, expect, it } from "vitest";
import { Sandbox } from "../src/tools/std/sandbox.js";

/** A worker that answers `{n}` with `n * 2`, spins on `{spin}`, exits on `{exit}`. */
const DOUBLER = String.raw`
const { parentPort } = require("node:worker_threads");
parentPort.on("message", (job) => {
  if (job.spin) for (;;) {}
  if (job.exit) process.exit(3);
  if (job.fail) return parentPort.postMessage({ error: "no: " + job.fail });
  parentPort.postMessage({ value: job.n * 2 });
});
parentPort.postMessage({ ready: true });
`;

function doubler(): Sandbox {
  return new Sandbox({ source: DOUBLER, maxMemoryMb: 32 });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error("did not fail");
}

describe("Sandbox", () => {
  it("answers jobs in order, and reports a job's own error as permanent", async () => {
    const box = doubler();
    const answers = await Promise.all([1, 2, 3].map((n) => box.run({ n }, "the job", 5000)));
    expect(answers).toEqual([2, 4, 6]);
    const error = await failure(box.run({ fail: "bad input" }, "the job", 5000));
    expect(error.message).toBe("no: bad input");
    expect((error as { permanent?: boolean }).permanent).toBe(true);
  });

  it("stops a job past its deadline; the jobs queued behind it still run", async () => {
    const box = doubler();
    const spin = box.run({ spin: true }, "the spin", 200);
    const next = box.run({ n: 21 }, "the job", 5000);
    expect((await failure(spin)).message).toBe("the spin took longer than 200 ms and was stopped");
    expect(await next).toBe(42);
  });

  it("fails a job whose worker exits, then starts a new worker", async () => {
    const box = doubler();
    expect((await failure(box.run({ exit: true }, "the job", 5000))).message).toBe(
      "sandbox worker exited unexpectedly",
    );
    expect(await box.run({ n: 5 }, "the job", 5000)).toBe(10);
  });

  it("fails every queued job when the worker cannot start", async () => {
    const box = new Sandbox({ source: `throw new Error("cannot load")`, maxMemoryMb: 32 });
    const errors = await Promise.all([
      failure(box.run({ n: 1 }, "the job", 5000)),
      failure(box.run({ n: 2 }, "the job", 5000)),
    ]);
    for (const e of errors) expect(e.message).toBe("sandbox worker failed: cannot load");
  });

  it("rejects at once with an aborted signal", async () => {
    const controller = new AbortController();
    controller.abort(new Error("already"));
    const error = await failure(doubler().run({ n: 1 }, "the job", 5000, controller.signal));
    expect(error.message).toBe("already");
  });
});
