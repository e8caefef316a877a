// The public API of every package is checked in under api/: a change to a package's surface
// (a name added, removed, or a signature changed) fails here until the report is regenerated
// with `npm run api:report` and the diff reviewed with the change.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { apiProgram, apiReport, entryPoints, reportPath } from "../scripts/api-report.js";

describe("the checked-in API reports", () => {
  const entries = entryPoints();
  const program = apiProgram(entries);

  for (const entry of entries) {
    it(`match ${entry.name}'s exports (npm run api:report to update)`, () => {
      const path = reportPath(entry.name);
      expect(existsSync(path), `${path} is missing: run npm run api:report`).toBe(true);
      expect(apiReport(entry, program)).toBe(readFileSync(path, "utf8"));
    });
  }

  it("keep core's `emit` private: callers listen, only the agent and launcher emit", () => {
    const core = readFileSync(reportPath("callwright"), "utf8");
    const classBody = (name: string) => core.slice(core.indexOf(`class ${name} `)).split("\n\n")[0]!;
    for (const name of ["Agent", "AgentLauncher"]) {
      expect(classBody(name)).toMatch(/\n {2}on: /);
      expect(classBody(name)).not.toMatch(/\n {2}emit: /);
    }
  });
});
