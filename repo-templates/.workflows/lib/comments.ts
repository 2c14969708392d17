/**
 * Finds the comment `upsertComment` wrote for a marker, without writing one: for a workflow that
 * updates its comment only if it posted one before (a list of problems, marked resolved once they
 * are fixed). It looks for the same hidden `<!-- repoflow:<marker> -->` line upsertComment adds,
 * and, like upsertComment, only in comments written by a bot, so a person quoting it is never taken.
 */
import type { GitHub } from "repoflow";

export async function findMarkedComment(github: GitHub, params: { owner: string; repo: string; issue_number: number; marker: string }): Promise<number | null> {
  const { marker, ...where } = params;
  const tag = `<!-- repoflow:${marker} -->`;
  for await (const page of github.paginate.iterator(github.rest.issues.listComments, { ...where, per_page: 100 })) {
    const mine = page.data.find((comment) => comment.user?.type === "Bot" && comment.body?.includes(tag));
    if (mine) return mine.id;
  }
  return null;
}
