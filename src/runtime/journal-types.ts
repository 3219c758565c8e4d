// The runtime's view of a call journal: where finished calls are recorded and
// found again when a run restarts. `journal.ts` provides the file-backed one.

export interface JournalRecord {
  nodeId: string;
  tool: string;
  /** `hashArgs(tool, args)`. */
  argsHash: string;
  /** How many earlier calls of this run had the same tool and arguments. */
  occurrence: number;
  result: unknown;
}

export interface CallJournal {
  /** A recorded result of the `occurrence`-th call of `tool` with these arguments. */
  lookup(tool: string, argsHash: string, occurrence: number): { result: unknown } | undefined;
  /** Resolves once the entry is durable: the runtime uses the result only after that. */
  record(entry: JournalRecord): Promise<void>;
  close(): Promise<void>;
}
