/**
 * Installation access tokens: one per (installation, repository), cached in the
 * isolate until 5 minutes before GitHub's `expires_at`.
 *
 * A token is a secret that must never reach anything stored: Workflow params,
 * metadata and step results are persisted and readable (invariant 6). So the
 * value lives in a private field of InstallationToken: structured clone (what
 * a step result goes through) and JSON.stringify both drop it, and String()
 * and console output show a placeholder. Only `reveal()` hands it out, at the
 * moment a request header is written.
 */

/** GitHub's tokens live one hour; refreshing 5 minutes early keeps a slow step from starting with a token that dies mid-way. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

const REDACTED = "[repoflow installation token]";

export class InstallationToken {
  readonly #value: string;
  readonly installationId: number;
  /** owner/name the token is scoped to. */
  readonly repository: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;

  constructor(value: string, installationId: number, repository: string, expiresAt: number) {
    this.#value = value;
    this.installationId = installationId;
    this.repository = repository;
    this.expiresAt = expiresAt;
  }

  /** The secret itself, for an `authorization` header and nothing else. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): { installationId: number; repository: string; expiresAt: number } {
    return { installationId: this.installationId, repository: this.repository, expiresAt: this.expiresAt };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return REDACTED;
  }
}

export interface TokenScope {
  installationId: number;
  /** owner/name; the token is requested with `repositories: [name]`. */
  repository: string;
  /** The permissions the token is limited to (a run's declaration); absent: all the installation grants. */
  permissions?: Readonly<Record<string, "read" | "write">>;
}

/**
 * The cache. The isolate shares one (`sharedTokenCache`); tests make their own.
 * Concurrent requests for the same scope share one mint.
 */
export class InstallationTokenCache {
  readonly #entries = new Map<string, InstallationToken>();
  readonly #pending = new Map<string, Promise<InstallationToken>>();

  async get(key: string, now: number, mint: () => Promise<InstallationToken>): Promise<InstallationToken> {
    const cached = this.#entries.get(key);
    if (cached && cached.expiresAt - now > TOKEN_REFRESH_MARGIN_MS) return cached;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = mint().then(
        (token) => {
          this.#entries.set(key, token);
          this.#pending.delete(key);
          return token;
        },
        (error: unknown) => {
          this.#entries.delete(key);
          this.#pending.delete(key);
          throw error;
        },
      );
      this.#pending.set(key, pending);
    }
    return pending;
  }

  /** Drops `token` if it is still the cached one (GitHub answered 401 to it: revoked, or the installation changed). */
  evict(key: string, token: InstallationToken): void {
    if (this.#entries.get(key) === token) this.#entries.delete(key);
  }
}

export const sharedTokenCache = new InstallationTokenCache();

/** Keyed by everything that makes a token different: the API (GitHub or GHES), the App, the installation, the repository and the permissions. */
export function tokenCacheKey(apiUrl: string, appId: string, scope: TokenScope): string {
  const permissions = scope.permissions === undefined ? "*" : Object.keys(scope.permissions).sort().map((name) => `${name}=${scope.permissions![name]}`).join(",");
  return `${apiUrl} ${appId} ${scope.installationId} ${scope.repository.toLowerCase()} ${permissions}`;
}
