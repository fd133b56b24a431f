/**
 * Charts for the office screens, loaded on demand (dynamic import) so uPlot
 * never weighs on the tablet's first load. Each chart draws on a canvas that
 * is hidden from assistive technology: the table beside it carries the numbers.
 */
import uPlot from "uplot";
import uPlotCss from "uplot/dist/uPlot.min.css?inline";

let sheet: CSSStyleSheet | null = null;

/** uPlot's own styles, adopted into a shadow root (a constructable sheet; no inline styles under our CSP). */
export function adoptChartStyles(root: ShadowRoot): void {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(uPlotCss);
  }
  if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

const COLOURS = ["#1d3557", "#e76f51", "#2a9d8f", "#e9c46a", "#8d5a97", "#457b9d", "#6c757d"];

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

/** A chart of categories (bars, one series) or of months (lines, one series or more). */
export function drawChart(
  target: HTMLElement,
  categories: string[],
  series: ChartSeries[],
  kind: "bars" | "lines",
  width: number,
): uPlot {
  target.replaceChildren();
  const xs = categories.map((_c, i) => i);
  const bars = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 60] }) : undefined;
  return new uPlot(
    {
      width,
      height: 220,
      legend: { show: series.length > 1 },
      cursor: { show: false },
      scales: { x: { time: false, range: [-0.5, Math.max(categories.length - 0.5, 0.5)] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        {
          splits: () => xs,
          values: (_u, splits) => splits.map((s) => categories[s] ?? ""),
          size: 50,
        },
        { size: 40 },
      ],
      series: [
        {},
        ...series.map((s, n) => ({
          label: s.label,
          stroke: COLOURS[n % COLOURS.length],
          fill: kind === "bars" ? COLOURS[n % COLOURS.length] : undefined,
          width: 2,
          paths: kind === "bars" ? bars : undefined,
          points: { show: kind === "lines" },
        })),
      ],
    },
    [xs, ...series.map((s) => s.values)] as uPlot.AlignedData,
    target,
  );
}
