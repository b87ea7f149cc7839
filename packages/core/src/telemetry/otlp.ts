// The OTLP/HTTP (protobuf) implementation of Telemetry; imported only when telemetry.otlp_endpoint is set.
// Spans carry names, counts and digests, never tokens, command text or data.
import {
  type Attributes,
  type Meter,
  type ObservableResult,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from '../config/types.js';
import { commandDigest, commandText } from '../gateway/command-text.js';
import type { Command, Decision } from '../types.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { JudgeTrace, Telemetry, TelemetryOptions, TracedSession } from './telemetry.js';

type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];
// ExportResultCode.SUCCESS in @opentelemetry/core (not a direct dependency).
const SUCCESS = 0;

export function startOtlpTelemetry(
  config: TelemetryConfig & { otlpEndpoint: string },
  opts: TelemetryOptions,
): Telemetry {
  return new OtlpTelemetry(config, opts);
}

class OtlpTelemetry implements Telemetry {
  readonly enabled = true;
  private readonly tracerProvider: BasicTracerProvider;
  private readonly meterProvider: MeterProvider;
  private readonly tracer: Tracer;
  private readonly sessions = new WeakMap<TracedSession, Span>();
  private readonly health: ExportHealth;
  private readonly shutdownTimeoutMs: number;
  private readonly discoverMetrics: () => void;
  private stopped?: Promise<void>;

  constructor(config: TelemetryConfig & { otlpEndpoint: string }, opts: TelemetryOptions) {
    const base = config.otlpEndpoint.replace(/\/+$/, '');
    const timeoutMillis = opts.exportTimeoutMs ?? 5000;
    this.shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 3000;
    this.health = new ExportHealth(opts.log, base);
    const resource = resourceFromAttributes({ 'service.name': config.serviceName });

    const spans = new OTLPTraceExporter({ url: `${base}/v1/traces`, timeoutMillis });
    this.tracerProvider = new BasicTracerProvider({
      resource,
      spanProcessors: [
        new BatchSpanProcessor(watchSpans(spans, this.health), { exportTimeoutMillis: timeoutMillis }),
      ],
    });
    // Not registered globally: the gateway's spans come from this provider only, and nothing else is patched.
    this.tracer = this.tracerProvider.getTracer('portcullis');

    const envInterval = Number(process.env.OTEL_METRIC_EXPORT_INTERVAL);
    const exportIntervalMillis = opts.metricIntervalMs ?? (envInterval > 0 ? envInterval : 30_000);
    const metricExporter = new OTLPMetricExporter({ url: `${base}/v1/metrics`, timeoutMillis });
    this.meterProvider = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: watchMetrics(metricExporter, this.health),
          exportIntervalMillis,
          exportTimeoutMillis: Math.min(timeoutMillis, exportIntervalMillis),
        }),
      ],
    });
    this.discoverMetrics = observeMetrics(this.meterProvider.getMeter('portcullis'), opts.metrics);
  }

  session(s: TracedSession): void {
    const span = this.tracer.startSpan('portcullis.session', {
      kind: SpanKind.SERVER,
      attributes: {
        'portcullis.session.id': s.id,
        'portcullis.connection': s.connection.name,
        'portcullis.protocol': s.connection.protocol,
        'portcullis.subject': s.identity.subject,
        'portcullis.auth.method': s.identity.method,
      },
    });
    this.sessions.set(s, span);
    this.discoverMetrics();
    const end = () => span.end();
    s.closed.then(end, end);
  }

  judge(s: TracedSession, command: Command, first: Decision, startedAt: number): JudgeTrace {
    const parent = this.sessions.get(s);
    // Parents are explicit (the session's span), never taken from async context.
    const ctx = parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    const analysed = performance.now();
    const text = commandText(command);
    const attributes: Attributes = {
      'portcullis.session.id': s.id,
      'portcullis.command.kind': command.kind,
      'portcullis.command.length': text.length,
      'portcullis.command.digest': commandDigest(command),
      'portcullis.analysis_ms': round(analysed - startedAt),
      'portcullis.first_action': first.action,
    };
    if (command.kind === 'sql' && command.statementName)
      attributes['portcullis.sql.statement'] = command.statementName;
    if (command.kind === 'http') attributes['portcullis.http.method'] = command.method;
    const span = this.tracer.startSpan(
      'portcullis.judge',
      { attributes, startTime: performance.timeOrigin + startedAt },
      ctx,
    );
    return {
      end: (decision) => {
        const now = performance.timeOrigin + performance.now();
        if (decision.approval) {
          // The wait for approvers starts once analysis has asked for a review.
          const wait = this.tracer.startSpan(
            'portcullis.approval',
            {
              attributes: {
                'portcullis.approval.id': decision.approval.id,
                'portcullis.approval.status': decision.approval.status,
                'portcullis.approval.votes': decision.approval.by?.length ?? 0,
              },
              startTime: performance.timeOrigin + analysed,
            },
            trace.setSpan(ROOT_CONTEXT, span),
          );
          wait.end(now);
        }
        span.setAttributes({ 'portcullis.action': decision.action, 'portcullis.rules': decision.rules });
        span.end(now);
      },
    };
  }

  shutdown(): Promise<void> {
    this.stopped ??= this.stop();
    return this.stopped;
  }

  private async stop(): Promise<void> {
    this.discoverMetrics();
    let timer: NodeJS.Timeout | undefined;
    const done = Promise.allSettled([this.tracerProvider.shutdown(), this.meterProvider.shutdown()]);
    const late = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), this.shutdownTimeoutMs);
      timer.unref();
    });
    const outcome = await Promise.race([done, late]);
    clearTimeout(timer);
    if (outcome === 'late') this.health.late(this.shutdownTimeoutMs);
  }
}

/** One warning per outage (collector down, refused, timing out), one info when exports succeed again. */
class ExportHealth {
  private failing = false;
  constructor(
    private readonly log: Logger,
    private readonly endpoint: string,
  ) {}

  report(signal: 'traces' | 'metrics', result: ExportResult): void {
    if (result.code === SUCCESS) {
      if (this.failing) this.log.info('telemetry export recovered', { endpoint: this.endpoint, signal });
      this.failing = false;
      return;
    }
    if (this.failing) return;
    this.failing = true;
    this.log.warn('telemetry export failed; dropping telemetry until the collector answers', {
      endpoint: this.endpoint,
      signal,
      error: result.error?.message ?? 'unknown error',
    });
  }

  late(ms: number): void {
    // Already warned for this outage: a slow shutdown is its consequence, not news.
    (this.failing ? this.log.debug : this.log.warn)(
      'telemetry shutdown timed out; unsent telemetry dropped',
      { endpoint: this.endpoint, ms },
    );
  }
}

function watchSpans(exporter: OTLPTraceExporter, health: ExportHealth): SpanExporter {
  return {
    export: (spans, done) =>
      exporter.export(spans, (r) => {
        health.report('traces', r);
        done(r);
      }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
}

function watchMetrics(exporter: OTLPMetricExporter, health: ExportHealth): PushMetricExporter {
  return {
    export: (metrics, done) =>
      exporter.export(metrics, (r) => {
        health.report('metrics', r);
        done(r);
      }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
    selectAggregationTemporality: (t) => exporter.selectAggregationTemporality(t),
  };
}

/**
 * The same series as GET /metrics, read at each collection (no second bookkeeping on the hot path).
 * Metrics defined after start (e.g. by the admin server) are picked up at the next session, collection or shutdown.
 */
function observeMetrics(meter: Meter, metrics: Metrics): () => void {
  const known = new Set<string>();
  const firstName = metrics.snapshot()[0]?.name;
  let count = 0;
  const discover = () => {
    const all = metrics.snapshot();
    if (all.length === count) return;
    count = all.length;
    for (const m of all) {
      if (known.has(m.name)) continue;
      known.add(m.name);
      const name = m.name;
      const instrument =
        m.type === 'counter'
          ? meter.createObservableCounter(name, { description: m.help })
          : meter.createObservableGauge(name, { description: m.help });
      instrument.addCallback((result: ObservableResult) => {
        if (name === firstName) discover();
        const current = metrics.snapshot().find((x) => x.name === name);
        for (const v of current?.values ?? []) result.observe(v.value, v.labels);
      });
    }
  };
  discover();
  return discover;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
