/** Builds a page of Prometheus's text exposition format 0.0.4, one metric family after another. */
export class PrometheusText {
  private readonly lines: string[] = [];

  /** A family's `# HELP` and `# TYPE` lines; its samples follow with {@link sample}. */
  family(name: string, type: 'gauge' | 'counter' | 'histogram', help: string): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  }

  /** One sample line: `name{labels} value`, labels already rendered. */
  sample(series: string, value: number): void {
    this.lines.push(`${series} ${value}`);
  }

  gauge(name: string, help: string, value: number): void {
    this.family(name, 'gauge', help);
    this.sample(name, value);
  }

  counter(name: string, help: string, value: number): void {
    this.family(name, 'counter', help);
    this.sample(name, value);
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}
