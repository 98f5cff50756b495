import { ArgsType, Field, Int } from 'type-graphql';
import { InRange } from './validation/rules';
import { LipSyncKind } from './LipSyncKind';
import { LipSyncTaskStatus } from './LipSyncTaskStatus';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

@ArgsType()
export class LipSyncTasksArgs {
  @InRange(0, MAX_PAGE_SIZE)
  @Field(() => Int, {
    nullable: true,
    defaultValue: DEFAULT_PAGE_SIZE,
    description: `Page size, at most ${MAX_PAGE_SIZE}.`,
  })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The `endCursor` of the previous page.' })
  after?: string | null;

  @Field(() => LipSyncTaskStatus, { nullable: true, description: 'Only tasks in this status.' })
  status?: LipSyncTaskStatus | null;

  @Field(() => LipSyncKind, { nullable: true, description: 'Only tasks of this kind.' })
  kind?: LipSyncKind | null;
}
