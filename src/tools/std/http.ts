// http.get and http.post, through Node's fetch. Only hosts the host granted
// are reached, and redirects are followed here, not by fetch, so that every
// hop is checked against the same list. The body is read up to a cap.
import { z } from "zod";
import { defineTool, PermanentError } from "../../compiler/tool.js";
import { denied, type NetPolicy } from "./capabilities.js";

const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
const HTTP_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 5;

/** Server trouble, throttling and timeouts may pass on a retry; any other error status will not. */
export function transientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

const headersSchema = z.record(z.string(), z.string()).optional();

const responseSchema = z.object({
  status: z.number(),
  headers: z.record(z.string(), z.string()),
  body: z.unknown(),
});

type HttpResponse = z.output<typeof responseSchema>;

interface Request {
  tool: string;
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string> | undefined;
  body: string | undefined;
  contentType: string | undefined;
}

export function httpGet(net: NetPolicy) {
  return defineTool({
    name: "http.get",
    description: "GETs a URL; the body is parsed when the response is JSON, else text",
    input: z.object({ url: z.string(), headers: headersSchema }),
    output: responseSchema,
    timeoutMs: HTTP_TIMEOUT_MS + 1000,
    precheck: (args) => precheckUrl(net, args["url"]),
    run: ({ url, headers }, ctx) =>
      send(
        net,
        { tool: "http.get", method: "GET", url, headers, body: undefined, contentType: undefined },
        ctx.signal,
      ),
  });
}

export function httpPost(net: NetPolicy) {
  return defineTool({
    name: "http.post",
    description:
      "POSTs `body` to a URL: text as is, other values as JSON; the answer as for http.get",
    input: z.object({ url: z.string(), body: z.unknown(), headers: headersSchema }),
    output: responseSchema,
    effect: true,
    timeoutMs: HTTP_TIMEOUT_MS + 1000,
    precheck: (args) => precheckUrl(net, args["url"]),
    run: ({ url, body, headers }, ctx) => {
      const text = typeof body === "string";
      return send(
        net,
        {
          tool: "http.post",
          method: "POST",
          url,
          headers,
          body: text ? body : JSON.stringify(body ?? null),
          contentType: text ? "text/plain; charset=utf-8" : "application/json",
        },
        ctx.signal,
      );
    },
  });
}

function precheckUrl(net: NetPolicy, url: unknown): string | undefined {
  if (typeof url !== "string" || !URL.canParse(url)) return undefined;
  return net.refusal(new URL(url));
}

// ## One request, redirects included

async function send(net: NetPolicy, req: Request, outer: AbortSignal): Promise<HttpResponse> {
  const { tool } = req;
  if (!URL.canParse(req.url)) throw new PermanentError(`${tool}: invalid URL ${req.url}`);
  let url = new URL(req.url);
  let method: string = req.method;
  let body = req.body;
  let headers: Headers;
  try {
    headers = new Headers(req.headers);
  } catch (e) {
    throw new PermanentError(`${tool}: ${(e as Error).message}`);
  }
  if (body !== undefined && req.contentType !== undefined && !headers.has("content-type"))
    headers.set("content-type", req.contentType);
  const signal = AbortSignal.any([outer, AbortSignal.timeout(HTTP_TIMEOUT_MS)]);

  for (let hop = 0; ; hop++) {
    const refusal = net.refusal(url);
    if (refusal !== undefined)
      throw denied(tool, hop === 0 ? refusal : `redirected to ${url.href}: ${refusal}`);
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, redirect: "manual", signal });
    } catch (e) {
      if (outer.aborted) throw outer.reason instanceof Error ? outer.reason : e;
      if (signal.aborted)
        throw new Error(`${tool}: ${url.host} did not answer within ${HTTP_TIMEOUT_MS} ms`);
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new Error(`${tool}: cannot reach ${url.host}: ${cause ?? (e as Error).message}`);
    }
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location !== null) {
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS)
        throw new PermanentError(`${tool}: more than ${MAX_REDIRECTS} redirects`);
      if (!URL.canParse(location, url.href))
        throw new PermanentError(`${tool}: ${url.href} redirects to an invalid URL ${location}`);
      const next = new URL(location, url);
      // As browsers do: 303 (and 301/302 after a POST) turn into a GET without a body.
      if (res.status === 303 || (method === "POST" && (res.status === 301 || res.status === 302))) {
        method = "GET";
        body = undefined;
        headers.delete("content-type");
      }
      // The plan's headers were written for the origin it named: any of them
      // may be a credential (`x-api-key`), so none follows to another origin.
      if (next.origin !== url.origin) {
        const type = body === undefined ? null : headers.get("content-type");
        headers = new Headers();
        if (type !== null) headers.set("content-type", type);
      }
      url = next;
      continue;
    }
    const text = await readCapped(res, tool, signal, outer);
    if (res.status >= 400) {
      const message = `${tool}: ${method} ${url.href} answered ${res.status} ${res.statusText}${
        text === "" ? "" : `: ${text.slice(0, 200)}`
      }`;
      throw transientStatus(res.status) ? new Error(message) : new PermanentError(message);
    }
    return {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body: decodeBody(text, res.headers.get("content-type")),
    };
  }
}

async function readCapped(
  res: Response,
  tool: string,
  signal: AbortSignal,
  outer: AbortSignal,
): Promise<string> {
  const tooBig = () =>
    new PermanentError(`${tool}: the response is larger than ${MAX_RESPONSE_BYTES} bytes`);
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > MAX_RESPONSE_BYTES) {
    await res.body?.cancel();
    throw tooBig();
  }
  if (res.body === null) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_RESPONSE_BYTES) {
        await reader.cancel();
        throw tooBig();
      }
      chunks.push(value);
    }
  } catch (e) {
    if (outer.aborted && outer.reason instanceof Error) throw outer.reason;
    if (signal.aborted && !(e instanceof PermanentError))
      throw new Error(`${tool}: the response did not finish within ${HTTP_TIMEOUT_MS} ms`);
    throw e;
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** JSON when the response says so and it parses; text otherwise. */
function decodeBody(text: string, contentType: string | null): unknown {
  if (contentType === null || !/^application\/([\w.-]+\+)?json\b/i.test(contentType)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
