import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';

/**
 * The API's own metrics in the Prometheus text exposition format (version 0.0.4), served at GET /metrics
 * (docs/operations.md#metrics): requests counted and timed by method, route pattern and status. The route is the
 * pattern the request matched (`/v1/payouts/:id`), never the raw path, so the number of series stays bounded by the
 * routes the app has; a request no route matched counts as `unmatched`. Written by hand: the format is a few lines
 * of text, not worth a dependency.
 */

/** Upper bounds of the latency histogram, in seconds. */
export const latencyBucketsSeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

interface Series {
  method: string;
  route: string;
  status: string;
  count: number;
  sumSeconds: number;
  /** Per bucket of latencyBucketsSeconds: requests at or under that bound (cumulative, as Prometheus wants). */
  buckets: number[];
}

/** A label value as the text format writes it: backslash, double quote and newline escaped. */
function labelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** A number as the text format writes it (Prometheus parses Go floats: +Inf, plain decimals). */
function sample(value: number): string {
  return Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : '-Inf';
}

export class HttpMetrics {
  readonly #series = new Map<string, Series>();
  #inFlight = 0;
  readonly #startedAtMs = Date.now();

  /** Records one finished request. */
  record(method: string, route: string, status: number, durationSeconds: number): void {
    const key = `${method} ${route} ${status}`;
    let series = this.#series.get(key);
    if (!series) {
      series = { method, route, status: String(status), count: 0, sumSeconds: 0, buckets: latencyBucketsSeconds.map(() => 0) };
      this.#series.set(key, series);
    }
    series.count += 1;
    series.sumSeconds += durationSeconds;
    latencyBucketsSeconds.forEach((bound, index) => {
      if (durationSeconds <= bound) series.buckets[index]! += 1;
    });
  }

  /** Counts and times every request that passes through it; register it before every other middleware. */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const startedAt = performance.now();
      this.#inFlight += 1;
      try {
        await next();
      } finally {
        this.#inFlight -= 1;
        this.record(c.req.method, routeOf(c), c.res.status, (performance.now() - startedAt) / 1_000);
      }
    };
  }

  /** Everything recorded so far, in the Prometheus text format. */
  render(): string {
    const lines: string[] = [];
    const series = [...this.#series.values()].sort((a, b) => `${a.route} ${a.method} ${a.status}`.localeCompare(`${b.route} ${b.method} ${b.status}`));
    const labelsOf = (entry: Series) => `method="${labelValue(entry.method)}",route="${labelValue(entry.route)}",status="${entry.status}"`;

    lines.push('# HELP ledgerflow_http_requests_total HTTP requests the API answered, by method, route pattern and status.');
    lines.push('# TYPE ledgerflow_http_requests_total counter');
    for (const entry of series) lines.push(`ledgerflow_http_requests_total{${labelsOf(entry)}} ${entry.count}`);

    lines.push('# HELP ledgerflow_http_request_duration_seconds Time from receiving a request to its response, by method, route pattern and status.');
    lines.push('# TYPE ledgerflow_http_request_duration_seconds histogram');
    for (const entry of series) {
      const labels = labelsOf(entry);
      latencyBucketsSeconds.forEach((bound, index) => {
        lines.push(`ledgerflow_http_request_duration_seconds_bucket{${labels},le="${sample(bound)}"} ${entry.buckets[index]}`);
      });
      lines.push(`ledgerflow_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${entry.count}`);
      lines.push(`ledgerflow_http_request_duration_seconds_sum{${labels}} ${sample(entry.sumSeconds)}`);
      lines.push(`ledgerflow_http_request_duration_seconds_count{${labels}} ${entry.count}`);
    }

    lines.push('# HELP ledgerflow_http_requests_in_flight Requests being answered right now.');
    lines.push('# TYPE ledgerflow_http_requests_in_flight gauge');
    lines.push(`ledgerflow_http_requests_in_flight ${this.#inFlight}`);

    const memory = process.memoryUsage();
    lines.push('# HELP process_resident_memory_bytes Resident memory of the API process.');
    lines.push('# TYPE process_resident_memory_bytes gauge');
    lines.push(`process_resident_memory_bytes ${memory.rss}`);
    lines.push('# HELP ledgerflow_process_uptime_seconds Seconds since the API process created its metrics.');
    lines.push('# TYPE ledgerflow_process_uptime_seconds gauge');
    lines.push(`ledgerflow_process_uptime_seconds ${sample((Date.now() - this.#startedAtMs) / 1_000)}`);
    return `${lines.join('\n')}\n`;
  }
}

/** The pattern of the handler the request matched (the last non-middleware route), or `unmatched`. */
function routeOf(c: Context): string {
  const handlers = matchedRoutes(c).filter((route) => route.method !== 'ALL');
  return handlers.at(-1)?.path ?? 'unmatched';
}

/** The content type of the text format, as Prometheus asks for it. */
export const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8';
