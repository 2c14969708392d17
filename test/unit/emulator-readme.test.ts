/**
 * The emulator's README lists the endpoints the code serves: the table
 * between its markers is rendered from HANDLERS and REQUIRED_PERMISSIONS,
 * and this test fails when the README's copy is stale.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { README, readmeWithTable, renderRouteTable } from "../emulator/routes.ts";

describe("the README's endpoint table", () => {
  it("matches the route table rendered from the code (run `node test/emulator/routes.ts --write` after adding a handler)", () => {
    const text = readFileSync(README, "utf8");
    expect(text).toBe(readmeWithTable(text));
  });

  it("lists a row per handled operation with the permission it needs", () => {
    const table = renderRouteTable();
    expect(table).toContain("| `PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge` | `pulls/merge` | contents: write |");
    expect(table).toContain("| `GET /app/hook/deliveries` | `apps/list-webhook-deliveries` | app JWT |");
  });
});
