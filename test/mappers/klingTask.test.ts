import { fromKlingTask } from '../../src/mappers/klingTask';
import type { KlingTaskData } from '../../src/upstream/kling.types';

/** Kling's task object in our terms, at the boundary (src/mappers/klingTask.ts). */
const task = (fields: Partial<KlingTaskData> & Record<string, unknown>): KlingTaskData => ({
  task_id: '817067112967086149',
  task_status: 'succeed',
  created_at: 1_762_832_498_885,
  updated_at: 1_762_832_498_885,
  ...fields,
});

describe('fromKlingTask', () => {
  it('rounds fractional epoch milliseconds: the stores keep whole ones', () => {
    const snapshot = fromKlingTask(task({ created_at: 1_762_832_498_885.5, updated_at: 1_762_832_498_886.4 }));
    expect(snapshot.createdAt).toBe(1_762_832_498_886);
    expect(snapshot.updatedAt).toBe(1_762_832_498_886);
  });

  it.each([
    ['1.5', 1_500_000],
    ['0.1', 100_000],
    ['12', 12_000_000],
    ['0.0000005', 1], // the seventh decimal rounds half up
    ['0.0000004', 0],
    [' 2.25 ', 2_250_000],
    [0.3, 300_000], // a JSON number, read through its shortest decimal
  ])('keeps final_unit_deduction %p exactly, as %p millionths', (value, micro) => {
    expect(fromKlingTask(task({ final_unit_deduction: value as string })).unitsChargedMicro).toBe(micro);
  });

  it.each([[undefined], [''], ['-1'], ['1e3'], ['abc'], [null], [Number.NaN]])('reads %p as not known yet', (value) => {
    expect(fromKlingTask(task({ final_unit_deduction: value as string })).unitsChargedMicro).toBeNull();
  });
});
