/** The three kinds of delivery the cost bench prices, and how the report names them. */

export type Kind = "nonMatching" | "matching" | "push";

export const KINDS: readonly Kind[] = ["nonMatching", "matching", "push"];

export const KIND_LABEL: Record<Kind, string> = {
  nonMatching: "non-matching (issue_comment.created)",
  matching: "matching (pull_request.opened → 1 run, to completion)",
  push: "push changing .workflows/ (compile + check run)",
};
