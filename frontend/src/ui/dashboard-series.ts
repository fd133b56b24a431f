/** The dashboard's series: what each shows and how its chart reads the rows (pure; unit-tested). */
import { words } from "./live";

export type Row = Record<string, string | number>;
export interface Dashboard {
  field_office_id: string | null;
  from: string;
  to: string;
  inspections_by_status: Row[];
  violations_by_citation: Row[];
  outcomes_by_month: Row[];
  leads_by_indicator: Row[];
  decision_days_by_month: Row[];
  median_decision_days: number | null;
  decisions: number;
}

export interface SeriesView {
  name: string;
  title: string;
  key: keyof Dashboard;
  columns: [string, string][];
  kind: "bars" | "lines";
}

/** The five series: name (the CSV's), title, its table's columns (field, heading), chart kind. */
export const SERIES: SeriesView[] = [
  { name: "inspections-by-status", title: "Inspections by status", key: "inspections_by_status", columns: [["status", "Status"], ["count", "Inspections"]], kind: "bars" },
  { name: "violations-by-citation", title: "Violations by citation", key: "violations_by_citation", columns: [["citation", "Citation"], ["findings", "Findings"], ["instances", "Instances"]], kind: "bars" },
  { name: "outcomes-by-month", title: "Outcomes per month", key: "outcomes_by_month", columns: [["month", "Month"], ["outcome", "Outcome"], ["count", "Inspections"]], kind: "lines" },
  { name: "leads-by-indicator", title: "Leads by indicator", key: "leads_by_indicator", columns: [["indicator", "Indicator"], ["count", "Leads"]], kind: "bars" },
  { name: "decision-days-by-month", title: "Days from submission to decision (median)", key: "decision_days_by_month", columns: [["month", "Month"], ["median_days", "Median days"], ["decisions", "Decisions"]], kind: "lines" },
];

/** What each series' chart plots: categories on x, one or more series of values. */
export function chartData(view: SeriesView, rows: Row[]): { categories: string[]; series: { label: string; values: (number | null)[] }[] } {
  switch (view.name) {
    case "outcomes-by-month": {
      const months = [...new Set(rows.map((r) => String(r.month)))].sort();
      const outcomes = [...new Set(rows.map((r) => String(r.outcome)))];
      return {
        categories: months,
        series: outcomes.map((o) => ({
          label: words(o),
          values: months.map((m) => Number(rows.find((r) => r.month === m && r.outcome === o)?.count ?? 0)),
        })),
      };
    }
    case "decision-days-by-month":
      return { categories: rows.map((r) => String(r.month)), series: [{ label: "Median days", values: rows.map((r) => Number(r.median_days)) }] };
    case "violations-by-citation":
      return { categories: rows.map((r) => String(r.citation)), series: [{ label: "Findings", values: rows.map((r) => Number(r.findings)) }] };
    default: {
      const [label] = view.columns[0];
      return { categories: rows.map((r) => words(r[label])), series: [{ label: view.columns[1][1], values: rows.map((r) => Number(r.count)) }] };
    }
  }
}

