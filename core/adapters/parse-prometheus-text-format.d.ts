// parse-prometheus-text-format 1.x ships no types; this is the shape its parser returns.
declare module 'parse-prometheus-text-format' {
  interface PromSample {
    /** Absent for histograms and summaries. */
    value?: string;
    labels?: Record<string, string>;
    timestamp_ms?: string;
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  interface PromFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: PromSample[];
  }
  function parsePrometheusTextFormat(text: string): PromFamily[];
  export = parsePrometheusTextFormat;
}
