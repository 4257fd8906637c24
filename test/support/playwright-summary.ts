import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

/** Prints the plain closing line CI reads ("e2e: N passed, N failed, N skipped"), with each skip's reason. */
export default class SummaryReporter implements Reporter {
  private passed = 0;
  private failed = 0;
  private skipped: string[] = [];

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status === 'passed') this.passed++;
    else if (result.status === 'skipped') this.skipped.push(`${test.title}: ${test.annotations.find((a) => a.type === 'skip')?.description ?? 'skipped'}`);
    else if (result.retry === test.retries) this.failed++;
  }

  onEnd(_result: FullResult): void {
    for (const skip of this.skipped) process.stdout.write(`skipped: ${skip}\n`);
    process.stdout.write(`\ne2e: ${this.passed} passed, ${this.failed} failed, ${this.skipped.length} skipped\n`);
  }
}
