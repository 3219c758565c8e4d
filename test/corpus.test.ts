// The peers' real plans (../shared/corpora), counted as `npm run corpus` does,
// so a regression in a reader shows up in CI. Skipped when the folder is absent.
import { describe, expect, it } from "vitest";
import {
  countPlans,
  corpusDir,
  llmCompilerTools,
  readLlmCompilerCorpus,
  readRewooCorpus,
  rewooTools,
} from "../scripts/corpus.js";

const rewoo = readRewooCorpus();
const llmc = readLlmCompilerCorpus();
if (rewoo === undefined || llmc === undefined)
  console.warn(`corpus tests skipped: ${corpusDir()} not found`);

describe("corpus conformance", () => {
  it.skipIf(rewoo === undefined)(
    "accounts for every ReWOO record: imported or diagnosed, none crashed or dropped",
    () => {
      const c = countPlans("rewoo", rewoo!, rewooTools);
      const { clean, warnings, diagnosed, crashed } = c.outcomes;
      expect(c.records).toBe(2044);
      expect(clean + warnings + diagnosed).toBe(2044);
      expect(crashed).toBe(0);
      expect(c.dropped).toEqual([]);
      expect(c.lostDependencies).toEqual([]);
      // The 80 plans cut off mid-step, and nothing else, are errors.
      expect(c.truncated).toBe(80);
      expect(diagnosed).toBe(80);
      expect(Object.keys(c.codes).sort()).toEqual(["I001", "I007", "I010"]);
      // Parallel steps, counted as the corpus README counts them.
      expect(c.shapes.filter((s) => s.stepDepth < s.stepsRead)).toHaveLength(778);
    },
  );

  it.skipIf(llmc === undefined)(
    "imports every LLMCompiler few-shot plan; the quirks are warnings at their lines",
    () => {
      const c = countPlans("llmcompiler", llmc!, llmCompilerTools);
      expect(c.records).toBe(8);
      expect(c.outcomes.diagnosed + c.outcomes.crashed).toBe(0);
      expect(c.dropped).toEqual([]);
      expect(c.lostDependencies).toEqual([]);
      expect(c.codes).toEqual({ I005: 3, I006: 4 });
    },
  );
});
