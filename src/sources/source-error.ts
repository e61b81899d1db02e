/** A bad id source: every problem found, each naming where it is (file and line). */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(
    readonly problems: string[],
    readonly totalProblems: number = problems.length,
  ) {
    const more =
      totalProblems > problems.length ? `\n… and ${totalProblems - problems.length} more problems` : '';
    super(problems.join('\n') + more);
  }
}
