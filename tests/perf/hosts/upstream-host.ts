// A catalog provider's API for benchmark 9 (the proxy streaming a large answer): a plain
// node:http server in a process of its own, registered in the run's PROVIDERS_FILE as an
// oauth2 provider's apiBaseUrl (http://127.0.0.1:PORT/api). GET /api/big?bytes=N&framing=
// length|chunked answers N bytes of a fixed pattern (patternChunk below), with a Content-Length
// or chunked, written only as fast as the socket takes them (`drain`), as a real server writes
// a download. GET /api/small answers a short JSON (the warm-up). Every request must carry
// `Authorization: Bearer $EXPECTED_TOKEN` (what the proxy adds from the connection); the IPC
// command `progress` says how many bytes the current answer has written, so the bench can
// tell how far ahead of its reader the provider got.
import { createServer, type ServerResponse } from "node:http";
import { serveIpc } from "../lib/child.ts";
import { CHUNK, patternChunk } from "../lib/pattern.ts";

/** Until the socket takes more, or the answer is gone (the reader left). */
const drained = (res: ServerResponse) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });

const port = Number(process.env.PORT);
const expected = `Bearer ${process.env.EXPECTED_TOKEN}`;
/** `transfers` counts the big answers begun; `written` is the current one's bytes so far. */
const progress = { requests: 0, refused: 0, transfers: 0, written: 0, finished: false };
const server = createServer(async (req, res) => {
  progress.requests++;
  if (req.headers.authorization !== expected) {
    progress.refused++;
    res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Bearer error="invalid_token"' });
    return res.end(JSON.stringify({ error: "invalid_token" }));
  }
  const url = new URL(req.url ?? "/", "http://upstream.invalid");
  if (url.pathname === "/api/small") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify({ ok: true }));
  }
  if (url.pathname !== "/api/big") {
    res.writeHead(404, { "content-type": "application/json" });
    return res.end(JSON.stringify({ error: "not_found" }));
  }
  const total = Number(url.searchParams.get("bytes"));
  const framing = url.searchParams.get("framing") === "chunked" ? "chunked" : "length";
  res.writeHead(200, { "content-type": "application/octet-stream", ...(framing === "length" ? { "content-length": String(total) } : {}) });
  progress.transfers++;
  progress.written = 0;
  progress.finished = false;
  for (let k = 0; progress.written < total && !res.destroyed; k++) {
    const chunk = patternChunk(k);
    const part = total - progress.written < CHUNK ? chunk.subarray(0, total - progress.written) : chunk;
    const ok = res.write(part);
    progress.written += part.length;
    if (!ok) await drained(res);
  }
  res.end(() => (progress.finished = true));
});
await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
serveIpc(
  { progress: () => ({ ...progress }) },
  async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  },
);
process.send!({ ready: { port } });
