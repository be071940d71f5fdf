// One check's verdict, and the collector of its violations (the first few kept as examples).
export interface CheckResult {
  readonly name: string;
  readonly description: string;
  readonly passed: boolean;
  /** How many violations (all of them; `examples` holds the first few). */
  readonly violations: number;
  readonly examples: readonly string[];
}

const EXAMPLES_MAX = 10;

export class Check {
  readonly name: string;
  readonly description: string;
  private count = 0;
  private readonly examples: string[] = [];

  constructor(name: string, description: string) {
    this.name = name;
    this.description = description;
  }

  violation(text: string): void {
    this.count++;
    if (this.examples.length < EXAMPLES_MAX) this.examples.push(text);
  }

  result(): CheckResult {
    return {
      name: this.name,
      description: this.description,
      passed: this.count === 0,
      violations: this.count,
      examples: this.examples,
    };
  }
}

/** (partition, offset) as one key. */
export function at(partition: number, offset: number): string {
  return `${partition}/${offset}`;
}
