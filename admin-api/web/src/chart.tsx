import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(
  LineController,
  LineElement,
  PointElement,
  BarController,
  BarElement,
  LinearScale,
  CategoryScale,
  Legend,
  Tooltip,
);

/** Colours of the series, in a fixed order so each metric keeps its colour. */
export const SERIES_COLOURS: Record<string, string> = {
  sent: '#2563eb',
  delivered: '#16a34a',
  bounced: '#dc2626',
  complaints: '#9333ea',
  opens: '#ea580c',
  clicks: '#0891b2',
};

/** A Chart.js chart on a canvas; the caller gives an accessible summary (and a data table beside it). */
export function ChartCanvas({ config, label }: { config: ChartConfiguration; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    if (!canvas.current) return;
    chart.current = new Chart(canvas.current, config);
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data = config.data;
    // Options too: the axis titles say the bucket (hour or day) the data now has.
    if (config.options) c.options = config.options;
    c.update('none');
  }, [config]);
  return (
    <div class="chart" data-chart-type={config.type}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
