import { describe, expect, it } from "vitest";
import { type ImportReport, canApply, progressText } from "./import-report";

const report = (changes: Partial<ImportReport> = {}): ImportReport => ({
  id: "r1",
  filename: "listing.txt",
  dry_run: true,
  status: "done",
  total_rows: 130000,
  processed_rows: 130000,
  added: 10,
  updated: 2,
  unchanged: 129988,
  rejected: 0,
  errors: [],
  failure: null,
  created_at: "2026-11-30T08:00:00Z",
  finished_at: "2026-11-30T08:00:04Z",
  ...changes,
});

describe("canApply", () => {
  const file = new File(["x"], "listing.txt");

  it("offers the apply after a clean dry run of the chosen file", () => {
    expect(canApply(report(), file, file)).toBe(true);
  });

  it("refuses while rejected rows remain, while running, after a failure, or for another file", () => {
    expect(canApply(report({ rejected: 3 }), file, file)).toBe(false);
    expect(canApply(report({ status: "running" }), file, file)).toBe(false);
    expect(canApply(report({ status: "failed" }), file, file)).toBe(false);
    expect(canApply(report(), file, new File(["y"], "listing.txt"))).toBe(false);
    expect(canApply(report({ dry_run: false }), file, file)).toBe(false);
    expect(canApply(null, file, file)).toBe(false);
  });
});

describe("progressText", () => {
  it("says how many rows of the file are done", () => {
    expect(progressText(report({ processed_rows: 2000 }))).toBe("Checked 2,000 of 130,000 rows");
    expect(progressText(report({ dry_run: false, processed_rows: 0 }))).toBe("Imported 0 of 130,000 rows");
  });
});
