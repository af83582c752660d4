/**
 * The charts of a run comparison: metric histories (only of metrics logged
 * at more than one step), parallel coordinates, and a scatter of two metrics.
 */
import { RunComparison } from './api';
import { el, emptyNote } from './dom';
import { lineChart } from './lineChart';
import {
  metricNamesOf,
  parallelAxes,
  parallelCoordinates,
  scatterPlot
} from './runCharts';

/**
 * Metrics worth a history chart: some run logged more than one step of
 * them. The others hold one value per run, which the metrics table shows.
 */
export function historyMetrics(result: RunComparison): {
  plotted: string[];
  single: string[];
} {
  const plotted: string[] = [];
  const single: string[] = [];
  for (const name of Object.keys(result.histories).sort()) {
    const series = Object.values(result.histories[name]);
    (series.some(points => points.length > 1) ? plotted : single).push(name);
  }
  return { plotted, single };
}

export function charts(
  result: RunComparison,
  labels: Map<string, string>
): HTMLElement {
  const { plotted, single } = historyMetrics(result);
  const singleNote = single.length
    ? emptyNote(
        `${single.join(', ')} ${single.length === 1 ? 'has' : 'have'} one value per run (no history): compared in the metrics table.`
      )
    : null;
  if (plotted.length === 0) {
    return el(
      'div',
      { 'data-testid': 'aios-compare-histories' },
      Object.keys(result.histories).length
        ? singleNote
        : emptyNote('These runs logged no metrics to plot.')
    );
  }
  const figures = plotted.map(metric => {
    const histories = result.histories[metric];
    const series = result.runs.map(run => ({
      label: labels.get(run.id) ?? run.id,
      points: histories[run.id] ?? []
    }));
    return el(
      'figure',
      {
        class: 'aios-compare-chart',
        'data-testid': 'aios-compare-chart',
        'data-metric': metric
      },
      el('figcaption', {}, metric),
      lineChart(series, { title: `${metric} by step` })
    );
  });
  return el(
    'div',
    { class: 'aios-compare-charts', 'data-testid': 'aios-compare-histories' },
    ...figures,
    singleNote,
    result.truncated
      ? emptyNote(
          `Fetched the histories of the first ${Object.keys(result.histories).length} of ${result.metrics.length} metrics; the table above lists them all.`
        )
      : null
  );
}

export function parallelSection(
  result: RunComparison,
  labels: Map<string, string>
): HTMLElement | null {
  const shown = result.runs.filter(r => !r.withheld);
  const axes = parallelAxes(shown, result.params_diff);
  if (axes.length < 2 || shown.length < 2) {
    return null;
  }
  return el(
    'figure',
    { class: 'aios-compare-parallel', 'data-testid': 'aios-compare-parallel' },
    el(
      'figcaption',
      {},
      'Parameters that differ and metrics: one line per run (hover a line for its values)'
    ),
    el(
      'div',
      { class: 'aios-preview-scroll' },
      parallelCoordinates(shown, axes, labels)
    )
  );
}

/**
 * A scatter of one metric against another, each chosen from the metrics
 * the runs logged (the first two by default).
 */
export function scatterSection(
  result: RunComparison,
  labels: Map<string, string>
): HTMLElement | null {
  const names = metricNamesOf(result.runs);
  if (names.length < 2) {
    return null;
  }
  const picker = (label: string, chosen: string, testid: string) => {
    const select = el(
      'select',
      { class: 'aios-select', 'aria-label': label, 'data-testid': testid },
      ...names.map(n => el('option', { value: n }, n))
    );
    select.value = chosen;
    return select;
  };
  const xSelect = picker('Metric on the x axis', names[0], 'aios-scatter-x');
  const ySelect = picker('Metric on the y axis', names[1], 'aios-scatter-y');
  const plot = el('div', { class: 'aios-scatter-plot' });
  const draw = () => {
    const missing = result.runs.filter(
      r =>
        !isFinite(r.metrics[xSelect.value]) ||
        !isFinite(r.metrics[ySelect.value])
    );
    plot.replaceChildren(
      scatterPlot(result.runs, xSelect.value, ySelect.value, labels),
      ...(missing.length
        ? [
            emptyNote(
              `Not plotted (no value for both): ${missing.map(r => labels.get(r.id) ?? r.id).join(', ')}.`
            )
          ]
        : [])
    );
  };
  xSelect.addEventListener('change', draw);
  ySelect.addEventListener('change', draw);
  draw();
  return el(
    'figure',
    { class: 'aios-compare-scatter', 'data-testid': 'aios-compare-scatter' },
    el(
      'figcaption',
      { class: 'aios-data-toolbar' },
      el('label', {}, 'x ', xSelect),
      el('label', {}, 'y ', ySelect)
    ),
    plot
  );
}
