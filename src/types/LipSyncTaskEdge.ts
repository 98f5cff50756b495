import { Field, ObjectType } from 'type-graphql';
import { LipSyncTask } from './LipSyncTask';

@ObjectType({ description: 'One task in a page of tasks.' })
export class LipSyncTaskEdge {
  @Field({ description: 'Opaque position of this task; pass as `after`.' })
  cursor: string;

  @Field(() => LipSyncTask)
  node: LipSyncTask;
}
