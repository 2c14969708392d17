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

const SYMBOL: Record<string, string> = {
  queued: "◌",
  running: "▶",
  sleeping: "☾",
  waiting: "⏸",
  succeeded: "✓",
  failed: "✗",
  cancelled: "⊘",
};

/** A wide table scrolls sideways inside its own focusable region, never the page. */
export const ScrollRegion: FC<{ label: string; children?: Child }> = ({ label, children }) => (
  <div class="table-wrap" role="region" aria-label={label} tabindex={0}>
    {children}
  </div>
);

export const Status: FC<{ status: string }> = ({ status }) => (
  <span class={`status ${status}`}>
    <span aria-hidden="true">{SYMBOL[status] ?? "•"}</span> {status}
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
