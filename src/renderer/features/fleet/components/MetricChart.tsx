import { useEffect, useId, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { EscapedText } from '../../../app/components/EscapedText';
import { alignPoints, anomalyMarks, formatValue, pointsFromAligned, type AnomalyMark } from '../charts';
import type { ChartState } from '../store';

const COLORS = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626'];
const HEIGHT = 180;
const ANOMALY_COLOR = '#dc2626';
const ANOMALY_BAND = 'rgba(220, 38, 38, 0.14)';
/** Width of an anomaly's band when the chart shows raw points (CSS px); with buckets, the bucket's width. */
const RAW_BAND_PX = 6;
const MARK_RADIUS_PX = 4;

/** A mark as drawn: the data it came from and where on the canvas (CSS px from its top left). */
interface DrawnMark extends AnomalyMark {
  x: number;
  y: number | null;
}

/**
 * One uPlot chart of a host's series. Legend and title are React text (label values such
 * as mount points and interface names come from the host, so they are escaped); uPlot's
 * own legend is off. What uPlot holds is mirrored in `data-plot` (the window asked for and
 * each line's points as [unixMs, value]), so a test can compare the drawing's data with
 * what the API answers.
 *
 * Anomalies (issue 18): each line's stored anomaly scores at or above the threshold are
 * drawn as a shaded band over their time (the bucket, with a step) and a red point on the
 * line. What was drawn, and where, is mirrored in `data-anomalies`, so a test can check
 * the marks against the API's scores and the canvas pixels under them.
 */
export function MetricChart({ chart, host, since, until, stepMs }: { chart: ChartState; host: string; since: number; until: number; stepMs: number | null }) {
  const target = useRef<HTMLDivElement>(null);
  const [plotted, setPlotted] = useState<string | null>(null);
  const titleId = useId();
  const { spec, results } = chart;
  const data = useMemo(() => alignPoints(results.map((r) => r?.points ?? [])), [results]);
  const total = results.reduce((n, r) => n + (r?.points.length ?? 0), 0);
  const marks = useMemo(() => spec.lines.map((_, i) => anomalyMarks(results[i]?.points ?? [], chart.anomalies[i] ?? [], chart.anomalyThreshold)), [spec, results, chart.anomalies, chart.anomalyThreshold]);
  const [drawnMarks, setDrawnMarks] = useState<string | null>(null);

  useEffect(() => {
    const el = target.current;
    if (!el) return;
    const width = Math.max(280, el.clientWidth || 600);
    // Drawn after the lines, on every redraw (resize included); records what it drew.
    const drawAnomalies = (u: uPlot) => {
      const ctx = u.ctx;
      const ratio = uPlot.pxRatio;
      const { top, height } = u.bbox;
      const drawn = marks.map((lineMarks) =>
        lineMarks.map((m): DrawnMark => {
          const x = u.valToPos(m.at / 1000, 'x', true);
          const bandWidth = stepMs ? Math.max(RAW_BAND_PX * ratio, u.valToPos((m.at + stepMs) / 1000, 'x', true) - x) : RAW_BAND_PX * ratio;
          const bandX = stepMs ? x : x - bandWidth / 2;
          ctx.save();
          ctx.fillStyle = ANOMALY_BAND;
          ctx.fillRect(bandX, top, bandWidth, height);
          ctx.restore();
          let y: number | null = null;
          if (m.value !== null) {
            y = u.valToPos(m.value, 'y', true);
            ctx.save();
            ctx.beginPath();
            ctx.fillStyle = ANOMALY_COLOR;
            ctx.arc(x, y, MARK_RADIUS_PX * ratio, 0, 2 * Math.PI);
            ctx.fill();
            ctx.restore();
          }
          return { ...m, x: x / ratio, y: y === null ? null : y / ratio };
        }),
      );
      setDrawnMarks(JSON.stringify({ threshold: chart.anomalyThreshold, lines: spec.lines.map((line, i) => ({ metric: line.metric, labels: line.labels, marks: drawn[i] ?? [] })) }));
    };
    const plot = new uPlot(
      {
        width,
        height: HEIGHT,
        hooks: { draw: [drawAnomalies] },
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true, range: () => [since / 1000, until / 1000] }, y: spec.unit === 'ratio' ? { range: (_u, _min, max) => [0, Math.max(1, max)] } : {} },
        series: [
          {},
          ...spec.lines.map((line, i) => ({
            label: line.label,
            stroke: COLORS[i % COLORS.length],
            width: 1.5,
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => (v === null ? '–' : formatValue(v, spec.unit)),
          })),
        ],
        axes: [{}, { size: 70, values: (_u, splits) => splits.map((v) => formatValue(v, spec.unit)) }],
      },
      data as uPlot.AlignedData,
      el,
    );
    const lines = pointsFromAligned(plot.data as unknown as (number | null)[][]);
    setPlotted(
      JSON.stringify({ host, since, until, stepMs, lines: spec.lines.map((line, i) => ({ metric: line.metric, labels: line.labels, points: lines[i] ?? [] })) }),
    );
    const resize = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (w > 0 && Math.abs(w - plot.width) > 1) plot.setSize({ width: w, height: HEIGHT });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [data, marks, spec, host, since, until, stepMs, chart.anomalyThreshold]);

  return (
    <figure className="metric-chart" data-chart={spec.id} data-points={total} data-plot={plotted ?? undefined} data-anomalies={drawnMarks ?? undefined} aria-labelledby={titleId}>
      <figcaption className="metric-chart-head">
        <h3 id={titleId} className="metric-chart-title">
          {spec.title}
        </h3>
        <ul className="metric-legend" aria-label={`${spec.title} series`}>
          {spec.lines.map((line, i) => {
            const lastPoint = results[i]?.points.at(-1);
            return (
              <li key={`${line.metric}:${JSON.stringify(line.labels)}`} className="metric-legend-item">
                <span className="metric-swatch" style={{ background: COLORS[i % COLORS.length] }} aria-hidden="true" />
                <EscapedText text={line.label} />
                <span className="metric-legend-value muted">{lastPoint ? formatValue(lastPoint[1], spec.unit) : 'no data'}</span>
                {(marks[i]?.length ?? 0) > 0 && (
                  <span className="metric-legend-anomalies" style={{ color: ANOMALY_COLOR }}>
                    {marks[i]!.length === 1 ? '1 anomaly' : `${marks[i]!.length} anomalies`}
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      </figcaption>
      {chart.error && <ErrorMessage error={chart.error} title={`Some ${spec.title.toLowerCase()} series could not be read`} />}
      {total === 0 && <p className="muted metric-empty">No points in this range yet.</p>}
      <div ref={target} className="metric-plot" role="img" aria-label={`${spec.title} chart, ${total} points${marks.some((m) => m.length) ? `, ${marks.reduce((n, m) => n + m.length, 0)} marked anomalous` : ''}`} />
    </figure>
  );
}
