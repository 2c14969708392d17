/**
 * The frame every dashboard page shares (skip link, navigation, who is signed
 * in, the inline stylesheet) and the status badge. Status is always text plus
 * a symbol; colour only repeats it.
 */
/** @jsxImportSource hono/jsx */
import type { Child, FC } from "hono/jsx";
import { raw } from "hono/html";
import type { Viewer } from "../auth";
import { STYLE } from "./style";

// Drawn, not typed: a glyph from a font the reader lacks renders as a box (headless Chromium showed one for ⏸).
const SYMBOL: Record<string, string> = {
  queued: '<circle cx="6" cy="6" r="4.5" fill="none"/>',
  running: '<path d="M3.5 2.5 L10 6 L3.5 9.5 Z" fill="currentColor" stroke="none"/>',
  sleeping: '<circle cx="6" cy="6" r="4.5" fill="none"/><path d="M6 3.5 V6 L8 7.5" fill="none"/>',
  waiting: '<path d="M4 2.5 V9.5 M8 2.5 V9.5" fill="none"/>',
  succeeded: '<path d="M2 6.5 L5 9.5 L10.5 3" fill="none"/>',
  failed: '<path d="M3 3 L9 9 M9 3 L3 9" fill="none"/>',
  cancelled: '<circle cx="6" cy="6" r="4.5" fill="none"/><path d="M3 9 L9 3" fill="none"/>',
  processed: '<path d="M2 6.5 L5 9.5 L10.5 3" fill="none"/>',
  accepted: '<circle cx="6" cy="6" r="4.5" fill="none"/>',
};
const DOT = '<circle cx="6" cy="6" r="2.5" fill="currentColor" stroke="none"/>';

/** A wide table scrolls sideways inside its own focusable region, never the page. */
export const ScrollRegion: FC<{ label: string; children?: Child }> = ({ label, children }) => (
  <div class="table-wrap" role="region" aria-label={label} tabindex={0}>
    {children}
  </div>
);

export const Status: FC<{ status: string }> = ({ status }) => (
  <span class={`status ${status}`}>
    <svg class="symbol" aria-hidden="true" viewBox="0 0 12 12" width="12" height="12" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round">
      {raw(SYMBOL[status] ?? DOT)}
    </svg>{" "}
    {status}
  </span>
);

export const Layout: FC<{ title: string; viewer: Viewer | null; script?: string; children?: Child }> = ({ title, viewer, script, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="robots" content="noindex" />
      {/* No favicon to fetch: a browser's request for /favicon.ico would be a 404 on every page. */}
      <link rel="icon" href="data:," />
      <title>{`${title} · repoflow`}</title>
      <style>{raw(STYLE)}</style>
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <nav aria-label="Main">
          <a class="brand" href="/">
            repoflow
          </a>
          <a href="/">Runs</a>
          {viewer ? (
            <span class="who">
              {viewer.access === "all" ? (
                "local mode"
              ) : (
                <>
                  <span>signed in as {viewer.login}</span>
                  <form method="post" action="/auth/logout">
                    <button type="submit">Sign out</button>
                  </form>
                </>
              )}
            </span>
          ) : null}
        </nav>
      </header>
      <main id="main" tabindex={-1}>
        {children}
      </main>
      {script ? <script>{raw(script)}</script> : null}
    </body>
  </html>
);
