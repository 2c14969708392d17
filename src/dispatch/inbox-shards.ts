/** Which inbox shard a delivery goes to: apart from inbox.ts, which starts runs, so recovery can ask it in Node too. */

export const INBOX_SHARDS = 16;

/**
 * The shard of a delivery: its repository's, so one repository's deliveries
 * are decided in order by one object; a delivery about no repository by its id.
 * The same delivery always lands in the same shard, which is what dedupes it.
 */
export function inboxName(delivery: { id: string; repository: string | null }): string {
  const key = delivery.repository?.toLowerCase() ?? delivery.id;
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) >>> 0;
  return `inbox-${hash % INBOX_SHARDS}`;
}
