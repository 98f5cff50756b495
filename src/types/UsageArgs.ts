import { ArgsType, Field } from 'type-graphql';
import { UsageGroupBy } from './UsageGroupBy';

@ArgsType()
export class UsageArgs {
  @Field(() => Date, {
    nullable: true,
    description:
      'Start of the range (inclusive); default: the start of the calendar month (UTC) the range ends in — this month so far, or with `to` on the first of a month, the month before.',
  })
  from?: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'End of the range (exclusive); default: now. At most 366 days after `from`, never before it.',
  })
  to?: Date | null;

  @Field(() => UsageGroupBy, { nullable: true, description: 'DAY: also split the totals by UTC day (`days`).' })
  groupBy?: UsageGroupBy | null;
}
