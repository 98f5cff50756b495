import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { LipSyncMode } from './LipSyncMode';
import { LipSyncTaskStatus } from './LipSyncTaskStatus';
import { LipSyncVideo } from './LipSyncVideo';

@Directive('@key(fields: "id")')
@ObjectType({ description: 'One lip-sync job at the upstream, followed until its video is ready.' })
export class LipSyncTask {
  @Field(() => ID, { description: 'The upstream task id (Kling `task_id`).' })
  id: string;

  @Field(() => LipSyncTaskStatus, { description: 'Current status; SUCCEEDED and FAILED are final.' })
  status: LipSyncTaskStatus;

  @Field(() => String, { nullable: true, description: 'The upstream explanation, e.g. why the task failed.' })
  statusMessage: string | null;

  @Field(() => LipSyncMode, { nullable: true, description: 'How the speech was given.' })
  mode: LipSyncMode | null;

  @Field(() => LipSyncVideo, { nullable: true, description: 'The video whose lips are being synced.' })
  parentVideo: LipSyncVideo | null;

  @Field(() => [LipSyncVideo], { description: 'The finished videos; empty until SUCCEEDED.' })
  videos: LipSyncVideo[];

  @Field({ description: 'When the upstream created the task.' })
  createdAt: Date;

  @Field({ description: 'When the task last changed at the upstream.' })
  updatedAt: Date;

  @Field(() => String, {
    nullable: true,
    description: 'The upstream `request_id` of the last answer about this task: quote it to upstream support.',
  })
  upstreamRequestId: string | null;
}
