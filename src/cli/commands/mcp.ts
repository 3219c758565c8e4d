// `weft mcp` (placeholder: registered by the issue that builds it).
import type { Command } from "commander";
import type { Io } from "../io.js";

export function registerMcp(_program: Command, _io: Io, _setExit: (code: number) => void): void {}
