// Weft's version, read from package.json (`weft --version` and the MCP server's
// handshake). The path holds both from src/cli and from dist/cli.
import { readFileSync } from "node:fs";

export function weftVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    ) as { version?: string };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}
