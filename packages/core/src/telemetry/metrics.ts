// Counters and gauges rendered as Prometheus text for GET /metrics. Label sets are small and bounded
// (protocol, decision, detector, connection), so a Map per metric is enough.
type Labels = Record<string, string>;

interface Metric {
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: Labels; value: number }>;
}

/** One metric with fixed labels, for hot paths: the label key is built once, not on every increment. */
export interface MetricHandle {
  inc(by?: number): void;
}

export class Metrics {
  private readonly metrics = new Map<string, Metric>();

  constructor() {
    this.define('portcullis_sessions_active', 'gauge', 'Sessions open now');
    this.define('portcullis_sessions_total', 'counter', 'Sessions opened');
    this.define('portcullis_sessions_refused_total', 'counter', 'Sessions refused (auth, groups, store)');
    this.define('portcullis_commands_total', 'counter', 'Commands judged, by protocol and decision');
    this.define('portcullis_masked_values_total', 'counter', 'Values masked, by detector');
    this.define('portcullis_approvals_pending', 'gauge', 'Approvals waiting for a decision');
    this.define('portcullis_judge_seconds_sum', 'counter', 'Time spent judging commands (analysis + policy)');
  }

  define(name: string, type: 'counter' | 'gauge', help: string): void {
    if (!this.metrics.has(name)) this.metrics.set(name, { help, type, values: new Map() });
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    const m = this.metrics.get(name);
    if (!m) return;
    const key = labelKey(labels);
    const cur = m.values.get(key);
    if (cur) cur.value += by;
    else m.values.set(key, { labels, value: by });
  }

  /** A handle bound to `name` and `labels`; the series appears at its first increment, as with inc(). */
  handle(name: string, labels: Labels = {}): MetricHandle {
    const m = this.metrics.get(name);
    if (!m) return { inc: () => {} };
    const key = labelKey(labels);
    const own = { ...labels };
    let cur: { labels: Labels; value: number } | undefined;
    return {
      inc: (by = 1) => {
        // set() updates entries in place, so the entry found once stays the series' entry.
        if (cur === undefined) {
          cur = m.values.get(key);
          if (!cur) {
            cur = { labels: own, value: 0 };
            m.values.set(key, cur);
          }
        }
        cur.value += by;
      },
    };
  }

  set(name: string, labels: Labels, value: number): void {
    const m = this.metrics.get(name);
    if (!m) return;
    const key = labelKey(labels);
    const cur = m.values.get(key);
    if (cur) cur.value = value;
    else m.values.set(key, { labels, value });
  }

  get(name: string, labels: Labels = {}): number {
    return this.metrics.get(name)?.values.get(labelKey(labels))?.value ?? 0;
  }

  /** Every metric and its current series, for exporters other than /metrics (OTLP). */
  snapshot(): MetricSnapshot[] {
    return [...this.metrics].map(([name, m]) => ({
      name,
      type: m.type,
      help: m.help,
      values: [...m.values.values()].map((v) => ({ labels: v.labels, value: v.value })),
    }));
  }

  render(): string {
    const out: string[] = [];
    for (const [name, m] of this.metrics) {
      out.push(`# HELP ${name} ${m.help}`, `# TYPE ${name} ${m.type}`);
      if (m.values.size === 0) out.push(`${name} 0`);
      for (const { labels, value } of m.values.values()) out.push(`${name}${labelKey(labels)} ${value}`);
    }
    return `${out.join('\n')}\n`;
  }
}

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, '_')}"`).join(',')}}`;
}

export interface MetricSnapshot {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  values: { labels: Labels; value: number }[];
}
