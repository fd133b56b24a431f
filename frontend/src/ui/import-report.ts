/** The licensee import's report as the API sends it, and what the screen decides from it (no DOM). */

export interface ImportReport {
  id: string;
  filename: string;
  dry_run: boolean;
  status: "pending" | "running" | "done" | "failed";
  total_rows: number;
  processed_rows: number;
  added: number;
  updated: number;
  unchanged: number;
  rejected: number;
  errors: { line: number; reason: string }[];
  failure: string | null;
  created_at: string;
  finished_at: string | null;
}

/** An apply is offered only for the file a clean dry run checked. */
export function canApply(report: ImportReport | null, checkedFile: File | null, chosenFile: File | null): boolean {
  return Boolean(
    report && report.dry_run && report.status === "done" && report.rejected === 0 && checkedFile && checkedFile === chosenFile,
  );
}

export function progressText(report: ImportReport): string {
  const verb = report.dry_run ? "Checked" : "Imported";
  return `${verb} ${report.processed_rows.toLocaleString()} of ${report.total_rows.toLocaleString()} rows`;
}
