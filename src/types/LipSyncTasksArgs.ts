import { ArgsType, Field, Int } from 'type-graphql';
import { InRange } from './validation/rules';
import { LipSyncTaskStatus } from './LipSyncTaskStatus';

export const MAX_PAGE_SIZE = 100;

@ArgsType()
export class LipSyncTasksArgs {
  @InRange(0, MAX_PAGE_SIZE)
  @Field(() => Int, { defaultValue: 20, description: `Page size, at most ${MAX_PAGE_SIZE}.` })
  first: number;

  @Field(() => String, { nullable: true, description: 'The `endCursor` of the previous page.' })
  after?: string | null;

  @Field(() => LipSyncTaskStatus, { nullable: true, description: 'Only tasks in this status.' })
  status?: LipSyncTaskStatus | null;
}
