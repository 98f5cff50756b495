import { Field, ObjectType } from 'type-graphql';
import { LipSyncTaskEdge } from './LipSyncTaskEdge';
import { PageInfo } from './PageInfo';

@ObjectType({ description: 'A page of tasks, newest first.' })
export class LipSyncTaskConnection {
  @Field(() => [LipSyncTaskEdge])
  edges: LipSyncTaskEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;
}
