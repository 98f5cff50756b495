import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: "One UTC day of a tenant's usage: the tasks created that day." })
export class LipSyncUsageDay {
  @Field({ description: 'The day, as an ISO date (YYYY-MM-DD, UTC).' })
  date: string;

  @Field(() => Int, { description: 'Tasks created that day (every status).' })
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
    description: 'Units the upstream charged for them and for the identifications (exact to a millionth).',
  })
  unitsCharged: number;
}
