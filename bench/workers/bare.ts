/**
 * The baseline: a Worker that answers 202 and does nothing else. Run in the
 * same harness as the edge, it measures what the harness itself costs, so the
 * edge's figures are read as a ratio to it.
 *
 * It still reads the body to the end: measured here, workerd answering a
 * 27 KB POST without reading it drops the connection instead of reusing it
 * (autocannon counted ≈1 socket error per request), which benchmarks
 * reconnects rather than the Worker. Any webhook receiver reads the body.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    await request.arrayBuffer();
    return new Response(null, { status: 202 });
  },
} satisfies ExportedHandler;
