import { Field, Float, Int, ObjectType } from 'type-graphql';
import { LipSyncUsageDay } from './LipSyncUsageDay';

@ObjectType({
  description:
    "The caller's tasks created in [from, to) — a task counts under its createdAt — and the units the upstream charged for them.",
})
export class LipSyncUsage {
  @Field({ description: 'Start of the range counted (inclusive), defaults applied.' })
  from: Date;

  @Field({ description: 'End of the range counted (exclusive), defaults applied.' })
  to: Date;

  @Field(() => Int, {
    description: 'Tasks created in the range, in every status (a create refused with an error is none).',
  })
  tasks: number;

  @Field(() => Int)
  succeeded: number;

  @Field(() => Int)
  failed: number;

  @Field(() => Int)
  canceled: number;

  @Field(() => Int, { description: 'identifyFaces calls made (each costs units, counted in unitsCharged).' })
  identifications: number;

  @Field(() => Float, {
    description:
      "Units the upstream charged for these tasks and identifications (Kling's final_unit_deduction), summed exactly; tasks not charged yet add nothing.",
  })
  unitsCharged: number;

  @Field(() => Float, {
    description:
      'Bytes the result archive holds now for these tasks (README, "Keeping results"); copies deleted by retention no longer count. A Float: it can pass 2^31.',
  })
  archivedBytes: number;

  @Field(() => [LipSyncUsageDay], {
    nullable: true,
    description: 'With groupBy: DAY, one entry per UTC day that has tasks, oldest first; otherwise null.',
  })
  days: LipSyncUsageDay[] | null;
}
