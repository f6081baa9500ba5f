import type { Registry } from 'prom-client'

/**
 * A Prometheus histogram for the per-request path: label sets are bound once (`series`), and an
 * observation is a bucket search and three additions. prom-client's own Histogram, even through a
 * bound child, converts and validates its labels and hashes them on every observation, which
 * showed in the warm request's profile. This one registers with a prom-client Registry like any
 * metric (the registry asks `get()` at scrape time) and writes the same series: `_bucket` per
 * `le` (cumulative, then `+Inf`), `_sum` and `_count`.
 */
export interface BoundHistogramOptions<L extends string> {
  name: string
  help: string
  labelNames: readonly L[]
  /** Upper bounds, ascending. */
  buckets: readonly number[]
  registers: Registry[]
}

/** One sample as prom-client's registry writes it. */
interface Sample {
  labels: Readonly<Record<string, string | number>>
  value: number
  metricName: string
}

export interface HistogramSeries {
  observe (value: number): void
}

class Series implements HistogramSeries {
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor (readonly labels: Readonly<Record<string, string | number>>, private readonly bounds: readonly number[]) {
    // One more than the bounds: the last counts what passed them all (+Inf).
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe (value: number) {
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > bounds[i]!) i++
    this.counts[i]!++
    this.sum += value
    this.count++
  }
}

export class BoundHistogram<L extends string> {
  readonly name: string
  readonly help: string
  readonly type = 'histogram' as const
  readonly aggregator = 'sum' as const
  readonly #labelNames: readonly L[]
  readonly #bounds: readonly number[]
  readonly #series = new Map<string, Series>()

  constructor ({ name, help, labelNames, buckets, registers }: BoundHistogramOptions<L>) {
    this.name = name
    this.help = help
    this.#labelNames = labelNames
    this.#bounds = [...buckets].sort((a, b) => a - b)
    for (const registry of registers) registry.registerMetric(this as never)
  }

  /** The series for these label values, made on first use; keep it and observe through it. */
  series (labels: Readonly<Record<L, string | number>>): HistogramSeries {
    const key = this.#labelNames.map((name) => String(labels[name])).join('\u0000')
    let series = this.#series.get(key)
    if (series === undefined) {
      const own: Record<string, string | number> = {}
      for (const name of this.#labelNames) own[name] = labels[name]
      this.#series.set(key, series = new Series(Object.freeze(own), this.#bounds))
    }
    return series
  }

  /** What the registry writes at scrape time. */
  async get () {
    const values: Sample[] = []
    for (const series of this.#series.values()) {
      let cumulative = 0
      this.#bounds.forEach((bound, i) => {
        cumulative += series.counts[i]!
        values.push({ labels: { le: bound, ...series.labels }, value: cumulative, metricName: `${this.name}_bucket` })
      })
      values.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${this.name}_bucket` })
      values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` })
      values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  /** Registry.resetMetrics(): every series back to zero (bound series stay valid). */
  reset () {
    for (const series of this.#series.values()) {
      series.counts.fill(0)
      series.sum = 0
      series.count = 0
    }
  }
}
