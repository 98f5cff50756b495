import { Directive, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { DetectedFace } from './DetectedFace';
import { LipSyncKind } from './LipSyncKind';
import { LipSyncMode } from './LipSyncMode';
import { LipSyncTaskStatus } from './LipSyncTaskStatus';
import { LipSyncVideo } from './LipSyncVideo';

@Directive('@key(fields: "id")')
@ObjectType({ description: 'One lip-sync job: queued here, then at the upstream, followed until its video is ready.' })
export class LipSyncTask {
  @Field(() => ID, {
    description:
      "This server's task id: assigned when the task is accepted, never changes; sent to Kling as `external_task_id`.",
  })
  id: string;

  @Field(() => ID, {
    nullable: true,
    description: "Kling's `task_id`, once the task is submitted; null while QUEUED or CANCELED.",
  })
  klingTaskId: string | null;

  @Field(() => LipSyncTaskStatus, { description: 'Current status; SUCCEEDED, FAILED and CANCELED are final.' })
  status: LipSyncTaskStatus;

  @Field(() => Int, {
    nullable: true,
    description:
      "The task's place in the order queued tasks are submitted (1 = next, fair across tenants); null unless QUEUED.",
  })
  queuePosition: number | null;

  @Field(() => String, { nullable: true, description: 'The upstream explanation, e.g. why the task failed.' })
  statusMessage: string | null;

  @Field(() => LipSyncMode, { nullable: true, description: 'How the speech was given (STANDARD); null for ADVANCED.' })
  mode: LipSyncMode | null;

  @Field(() => LipSyncKind, { description: 'STANDARD (`createLipSync`) or ADVANCED (`createAdvancedLipSync`).' })
  kind: LipSyncKind;

  @Field(() => DetectedFace, { nullable: true, description: 'ADVANCED: the face that speaks; null for STANDARD.' })
  face: DetectedFace | null;

  @Field(() => LipSyncVideo, { nullable: true, description: 'The video whose lips are being synced.' })
  parentVideo: LipSyncVideo | null;

  @Field(() => [LipSyncVideo], { description: 'The finished videos; empty until SUCCEEDED.' })
  videos: LipSyncVideo[];

  @Field({
    description:
      'When this server accepted the task (tasks from before the queue: when the upstream created it). Lists are ordered by it.',
  })
  createdAt: Date;

  @Field({ description: 'When the task last changed at the upstream.' })
  updatedAt: Date;

  @Field(() => String, {
    nullable: true,
    description: 'The upstream `request_id` of the last answer about this task: quote it to upstream support.',
  })
  upstreamRequestId: string | null;

  @Field(() => Float, {
    nullable: true,
    description:
      "Units the upstream charged for the task (Kling's final_unit_deduction, exact to a millionth); null until it reports them.",
  })
  unitsCharged: number | null;
}
