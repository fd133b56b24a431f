import { describe, expect, it } from "vitest";
import { SERIES, chartData } from "./dashboard-series";

const view = (name: string) => SERIES.find((s) => s.name === name)!;

describe("chartData", () => {
  it("pivots outcomes per month into one series per outcome, months in order, gaps as 0", () => {
    const rows = [
      { month: "2026-11", outcome: "no_violations", count: 1 },
      { month: "2026-10", outcome: "warning_letter", count: 2 },
      { month: "2026-10", outcome: "no_violations", count: 3 },
    ];
    const data = chartData(view("outcomes-by-month"), rows);
    expect(data.categories).toEqual(["2026-10", "2026-11"]);
    expect(data.series).toEqual([
      { label: "no violations", values: [3, 1] },
      { label: "warning letter", values: [2, 0] },
    ]);
  });

  it("plots counts by category with readable labels", () => {
    const data = chartData(view("inspections-by-status"), [
      { status: "in_progress", count: 4 },
      { status: "assigned", count: 2 },
    ]);
    expect(data.categories).toEqual(["in progress", "assigned"]);
    expect(data.series).toEqual([{ label: "Inspections", values: [4, 2] }]);
  });

  it("plots violation findings by citation and median days by month", () => {
    expect(chartData(view("violations-by-citation"), [{ citation: "478.124(c)", findings: 5, instances: 9 }]).series).toEqual([
      { label: "Findings", values: [5] },
    ]);
    const days = chartData(view("decision-days-by-month"), [{ month: "2026-11", median_days: 4.5, decisions: 2 }]);
    expect(days).toEqual({ categories: ["2026-11"], series: [{ label: "Median days", values: [4.5] }] });
  });

  it("names every series the API serves, each with a table column per CSV column", () => {
    expect(SERIES.map((s) => s.name)).toEqual([
      "inspections-by-status",
      "violations-by-citation",
      "outcomes-by-month",
      "leads-by-indicator",
      "decision-days-by-month",
    ]);
  });
});
