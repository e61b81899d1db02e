// A node:test reporter beside the spec reporter: writes the run's counts as one JSON line (node's
// own test:summary event for the whole run: it comes last and, unlike each file's, names no file),
// which scripts/run-tests.ts reads back to add up the suite. Plain JS: the test runner loads
// reporters before tsx's hooks.

/** @param {AsyncIterable<{ type: string, data: { file?: string, counts?: object } }>} source */
export default async function* summaryReporter(source) {
  for await (const event of source) {
    if (event.type === 'test:summary' && event.data.file === undefined) {
      yield `${JSON.stringify(event.data.counts)}\n`;
    }
  }
}
