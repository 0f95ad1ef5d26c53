/**
 * Hand-drawn SVG charts. Bar heights are pixels: the amounts arrive as decimal strings and are turned into numbers
 * here only to place pixels (never for money arithmetic); the exact strings are in each bar's tooltip and in the
 * table every chart is shown with.
 */

const svgNamespace = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, ...children: (SVGElement | string)[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS(svgNamespace, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child);
  return element;
}

export const palette = ['#1f4e79', '#2e8b57', '#d08c00', '#b03a2e', '#6c4f9c', '#0f7c8c', '#7a7a7a', '#c05780', '#4f7d1f', '#8c5a2b'];

export interface StackedSeries {
  /** The x categories in order (days, levels). */
  categories: string[];
  /** One stack segment per key; values[key][category] is a decimal string. */
  keys: string[];
  values: Record<string, Record<string, string>>;
}

/** A stacked bar chart with a legend; `title` labels it for screen readers. */
export function stackedBarChart(title: string, series: StackedSeries, unit: string): SVGSVGElement {
  const width = 640;
  const height = 260;
  const left = 64;
  const bottom = 40;
  const top = 16;
  const legendWidth = 150;
  const plotWidth = width - left - legendWidth - 8;
  const plotHeight = height - top - bottom;
  const totals = series.categories.map((category) => series.keys.reduce((sum, key) => sum + Number(series.values[key]?.[category] ?? '0'), 0));
  const maximum = Math.max(1, ...totals);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title, class: 'chart' }, svg('title', {}, title));
  // Axis and three grid lines with their values.
  for (let index = 0; index <= 3; index += 1) {
    const value = (maximum * index) / 3;
    const y = top + plotHeight - (plotHeight * index) / 3;
    chart.append(svg('line', { x1: left, x2: left + plotWidth, y1: y, y2: y, class: 'grid' }));
    chart.append(svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, value >= 1000 ? `${Math.round(value / 100) / 10}k` : String(Math.round(value))));
  }
  const slot = plotWidth / Math.max(1, series.categories.length);
  const barWidth = Math.max(4, Math.min(48, slot * 0.7));
  series.categories.forEach((category, categoryIndex) => {
    let y = top + plotHeight;
    const x = left + slot * categoryIndex + (slot - barWidth) / 2;
    series.keys.forEach((key, keyIndex) => {
      const raw = series.values[key]?.[category];
      if (!raw || Number(raw) === 0) return;
      const barHeight = (plotHeight * Number(raw)) / maximum;
      y -= barHeight;
      chart.append(
        svg('rect', { x, y, width: barWidth, height: Math.max(1, barHeight), fill: palette[keyIndex % palette.length]!, 'data-key': key, 'data-category': category }, svg('title', {}, `${category} · ${key}: ${raw} ${unit}`)),
      );
    });
    const every = Math.ceil(series.categories.length / 10);
    if (categoryIndex % every === 0) {
      chart.append(svg('text', { x: x + barWidth / 2, y: top + plotHeight + 16, 'text-anchor': 'middle', class: 'axis' }, category.length > 10 ? category.slice(5) : category));
    }
  });
  series.keys.forEach((key, keyIndex) => {
    const y = top + 4 + keyIndex * 18;
    chart.append(svg('rect', { x: width - legendWidth, y, width: 12, height: 12, fill: palette[keyIndex % palette.length]! }));
    chart.append(svg('text', { x: width - legendWidth + 18, y: y + 10, class: 'legend' }, key));
  });
  if (series.categories.length === 0) chart.append(svg('text', { x: left + plotWidth / 2, y: top + plotHeight / 2, 'text-anchor': 'middle', class: 'axis' }, 'No data in this range'));
  return chart;
}
