import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReportLine } from '../../src/campaign/outcome';
import { partialNote, reportCompleteness } from '../../src/cli/report-completeness';
import { renderHtmlReport } from '../../src/report/html';

const stored = (finalState?: string) => ({
  campaignId: 'c',
  total: 3000,
  ...(finalState ? { finalState } : {}),
});
const lines = (n: number): ReportLine[] =>
  Array.from({ length: n }, (_, i) => ({
    instance_id: `i${i}`,
    outcome: 'succeeded',
    resets: 1,
    job_id: `j${i}`,
    error_code: '',
    error_msg: '',
    finished_at: '2026-12-01T08:00:00.000Z',
  }));

void describe('partial reports say so', () => {
  void it('straight after cancel (canceling, 300 of 3 000 lines): partial, with the note the operator sees', () => {
    const c = reportCompleteness('c', 300, stored(), 'canceling');
    assert.equal(c.partial, true);
    assert.equal(c.final, false);
    assert.equal(
      partialNote(c),
      'partial report: 300 of 3,000 phones have a line (the campaign is canceling; the report is final once it ends)',
    );
  });

  void it('terminated before assembling its report; final but short; final and whole', () => {
    assert.match(
      reportCompleteness('c', 900, stored(), 'terminated').why!,
      /ended terminated without assembling/,
    );
    assert.match(reportCompleteness('c', 2990, stored('failed'), 'completed').why!, /short by 10 lines/);
    const whole = reportCompleteness('c', 3000, stored('canceled'), 'completed');
    assert.equal(whole.partial, false);
    assert.equal(partialNote(whole), undefined);
  });

  void it('the HTML report carries the note in the page itself', async () => {
    async function* from(ls: ReportLine[]) {
      yield* ls;
    }
    const html = await renderHtmlReport(from(lines(300)), {
      campaignId: 'c',
      state: 'canceling',
      total: 3000,
      partial: 'the campaign is canceling; the report is final once it ends',
    });
    assert.match(
      html,
      /data-partial="true"><strong>Partial report:<\/strong> 300 of 3,000 instances have a line — the campaign is canceling; the report is final once it ends\./,
    );
    const whole = await renderHtmlReport(from(lines(3)), { campaignId: 'c', state: 'completed', total: 3 });
    assert.doesNotMatch(whole, /data-partial/);
  });
});
