import { after, before, describe, it } from 'node:test';
import { testTemporal } from '../helpers/temporal';
describe('probe', () => {
  before(async () => { await testTemporal(); console.log('got temporal'); });
  after(() => { console.log('suite after'); setTimeout(() => { console.log('handles', (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().map((h) => (h as object).constructor.name)); }, 12000).unref(); });
  it('x', async () => { console.log('x'); });
});
