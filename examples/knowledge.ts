// A small offline knowledge base, so the examples run without a network.
export interface Article {
  title: string;
  url: string;
  summary: string;
  facts: Record<string, number | string>;
}

export const articles: Article[] = [
  {
    title: "Tokyo",
    url: "kb://tokyo",
    summary: "Tokyo is the capital of Japan and the most populous metropolitan area in the world.",
    facts: { population: 13960000, country: "Japan", area_km2: 2194, founded: 1457 },
  },
  {
    title: "Paris",
    url: "kb://paris",
    summary: "Paris is the capital and largest city of France, on the river Seine.",
    facts: { population: 2102650, country: "France", area_km2: 105, founded: -250 },
  },
  {
    title: "Lagos",
    url: "kb://lagos",
    summary:
      "Lagos is the largest city in Nigeria and one of the fastest-growing cities in Africa.",
    facts: { population: 15388000, country: "Nigeria", area_km2: 1171, founded: 1472 },
  },
  {
    title: "Lima",
    url: "kb://lima",
    summary: "Lima is the capital and largest city of Peru, on the Pacific coast.",
    facts: { population: 10092000, country: "Peru", area_km2: 2672, founded: 1535 },
  },
  {
    title: "Oslo",
    url: "kb://oslo",
    summary: "Oslo is the capital and most populous city of Norway, at the head of the Oslofjord.",
    facts: { population: 717710, country: "Norway", area_km2: 454, founded: 1040 },
  },
  {
    title: "Rust (programming language)",
    url: "kb://rust",
    summary:
      "Rust is a systems programming language focused on memory safety without garbage collection.",
    facts: { first_release: 2015, designer: "Graydon Hoare", paradigm: "multi-paradigm" },
  },
  {
    title: "TypeScript",
    url: "kb://typescript",
    summary: "TypeScript is a typed superset of JavaScript that compiles to plain JavaScript.",
    facts: { first_release: 2012, designer: "Anders Hejlsberg", paradigm: "multi-paradigm" },
  },
  {
    title: "Go (programming language)",
    url: "kb://go",
    summary:
      "Go is a statically typed, compiled language designed at Google, known for goroutines.",
    facts: {
      first_release: 2009,
      designer: "Robert Griesemer, Rob Pike, Ken Thompson",
      paradigm: "concurrent",
    },
  },
];

/** Ranks articles by how many query words they contain (title words count double). */
export function searchArticles(query: string, limit: number): Article[] {
  const words = query.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const scored = articles.map((a) => {
    const title = a.title.toLowerCase();
    const body = `${a.summary} ${Object.keys(a.facts).join(" ")}`.toLowerCase();
    let score = 0;
    for (const w of words) {
      if (title.includes(w)) score += 2;
      if (body.includes(w)) score += 1;
    }
    return { a, score };
  });
  return scored
    .filter((s) => s.score > 0)
    .sort((x, y) => y.score - x.score || x.a.title.localeCompare(y.a.title))
    .slice(0, limit)
    .map((s) => s.a);
}
