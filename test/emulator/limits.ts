/**
 * Check-run rules GitHub enforces beyond the request schema, checked on every
 * create and update whatever the description version says: the documented
 * limits (summary and text ≤ 65535 characters, ≤ 50 annotations per request)
 * and the documented coupling of status and conclusion. Source: docs.github.com
 * REST "Create a check run" / "Update a check run". Lines use the same wording
 * as schema problems, so a rule the schema also states is reported once.
 */

const MAX_OUTPUT_CHARACTERS = 65535;
const MAX_ANNOTATIONS_PER_REQUEST = 50;

export function checkRunProblems(body: unknown, operationId: string): string[] {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return [];
  const request = body as Record<string, unknown>;
  const problems: string[] = [];
  const output = request.output;
  if (output !== null && typeof output === "object" && !Array.isArray(output)) {
    const { summary, text, annotations } = output as Record<string, unknown>;
    for (const [field, value] of [["summary", summary], ["text", text]] as const) {
      // Counted in characters (code points), as GitHub documents the limit and as ajv's maxLength counts.
      if (typeof value === "string" && [...value].length > MAX_OUTPUT_CHARACTERS) {
        problems.push(`body.output.${field} must be at most ${MAX_OUTPUT_CHARACTERS} characters`);
      }
    }
    if (Array.isArray(annotations) && annotations.length > MAX_ANNOTATIONS_PER_REQUEST) {
      problems.push(`body.output.annotations must have at most ${MAX_ANNOTATIONS_PER_REQUEST} items`);
    }
  }
  // "Required if you provide completed_at or a status of completed" (create); the update schema states it as an anyOf.
  if (operationId === "checks/create" && request.conclusion === undefined && (request.status === "completed" || request.completed_at !== undefined)) {
    problems.push("body.conclusion is required when status is completed or completed_at is given");
  }
  // "You cannot change a check run conclusion to stale, only GitHub can set this."
  if (request.conclusion === "stale") problems.push("body.conclusion cannot be stale (only GitHub sets it)");
  return problems;
}
