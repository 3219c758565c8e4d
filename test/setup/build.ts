// The CLI's process tests run the real bin, which loads dist/: build it once.
// WEFT_SKIP_BUILD=1 skips it, for a quick run of tests that do not need dist/.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export default function setup(): void {
  if (process.env["WEFT_SKIP_BUILD"] === "1") return;
  const root = join(import.meta.dirname, "..", "..");
  execFileSync(
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
}
