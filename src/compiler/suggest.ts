// "Did you mean": the closest known name, when it is close enough to be a likely typo.
import { distance } from "fastest-levenshtein";

/**
 * The candidate most similar to `name`, or undefined when none is plausibly
 * what was meant. Ties go to the earlier candidate, so results are stable.
 */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  // Roughly TypeScript's rule: up to 40% of the name may differ, never all of it.
  const limit = Math.min(Math.ceil(name.length * 0.4), name.length - 1);
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const candidateLower = candidate.toLowerCase();
    // A case slip or a missing namespace (`search` for `web.search`) beats any typo.
    if (candidateLower === lower || candidateLower.endsWith(`.${lower}`)) {
      const score = candidateLower === lower ? -2 : -1;
      if (score < bestScore) [best, bestScore] = [candidate, score];
      continue;
    }
    const d = distance(lower, candidateLower);
    if (d <= limit && d < bestScore) [best, bestScore] = [candidate, d];
  }
  return best;
}
