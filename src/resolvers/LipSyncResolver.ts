import type { CacheHint } from '@apollo/cache-control-types';
import type { GraphQLResolveInfo } from 'graphql';
import {
  Arg,
  Args,
  Ctx,
  FieldResolver,
  ID,
  Info,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
} from 'type-graphql';
import type { RequestContext } from '../context';
import { hintCache } from '../graphql/cacheHints';
import type { TaskRecord } from '../domain/task';
import { isTerminal } from '../domain/task';
import { stateOfStatus, toLipSyncTask } from '../mappers/lipSyncTask';
import { decodeCursor, encodeCursor } from '../services/cursor';
import { CreateLipSyncInput } from '../types/CreateLipSyncInput';
import { LipSyncTask } from '../types/LipSyncTask';
import { LipSyncTaskConnection } from '../types/LipSyncTaskConnection';
import { LipSyncTaskStatus } from '../types/LipSyncTaskStatus';
import { DEFAULT_PAGE_SIZE, LipSyncTasksArgs } from '../types/LipSyncTasksArgs';

/** A finished task never changes: shared caches may keep it (per caller, as tasks belong to tenants). */
const FINISHED_HINT: CacheHint = { maxAge: 3600, scope: 'PRIVATE' };
const LIVE_HINT: CacheHint = { maxAge: 0, scope: 'PRIVATE' };

@Resolver(() => LipSyncTask)
export class LipSyncResolver {
  @Query(() => LipSyncTask, {
    nullable: true,
    description: "A task by this server's id or by its klingTaskId; null when this caller has no such task.",
  })
  async lipSyncTask(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<LipSyncTask | null> {
    const record = await ctx.services.tasks.get(ctx.tenant, id);
    hintCache(info, ctx, record && isTerminal(record.state) ? FINISHED_HINT : LIVE_HINT);
    return record && toLipSyncTask(record);
  }

  @Query(() => LipSyncTaskConnection, { description: "This caller's tasks, newest first (Relay pagination)." })
  async lipSyncTasks(
    @Args() { first, after, status, kind }: LipSyncTasksArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<LipSyncTaskConnection> {
    const { records, hasNextPage } = await ctx.services.tasks.list(
      ctx.tenant,
      first ?? DEFAULT_PAGE_SIZE, // an explicit null means the default too
      after ? decodeCursor(after) : undefined,
      status ? stateOfStatus(status) : undefined,
      kind ?? undefined,
    );
    const edges = records.map((record) => ({ cursor: cursorOf(record), node: toLipSyncTask(record) }));
    // Forward paging only: src/types/PageInfo.ts says why hasPreviousPage is false.
    const pageInfo = {
      hasNextPage,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    };
    return { edges, pageInfo };
  }

  @Mutation(() => LipSyncTask, {
    description:
      'Validates the input and accepts the task: submitted to the upstream at once when a concurrency slot is free (status SUBMITTED), otherwise QUEUED and submitted when its turn comes.',
  })
  async createLipSync(
    @Arg('input', () => CreateLipSyncInput) input: CreateLipSyncInput,
    @Ctx() ctx: RequestContext,
  ): Promise<LipSyncTask> {
    const { record, warnings } = await ctx.services.lipSync.create(ctx.tenant, input, ctx.idempotencyKey);
    ctx.warnings.push(...warnings);
    if (record.upstreamRequestId) ctx.upstreamRequestIds.push(record.upstreamRequestId);
    return toLipSyncTask(record);
  }

  @Mutation(() => LipSyncTask, {
    description:
      "Cancels a QUEUED task (it becomes CANCELED and is never sent to Kling). Any other status: BAD_USER_INPUT with extensions.reason NOT_CANCELABLE and extensions.status; an unknown task (or another tenant's): NOT_FOUND.",
  })
  async cancelLipSync(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<LipSyncTask> {
    return toLipSyncTask(await ctx.services.lipSync.cancel(ctx.tenant, id));
  }

  @FieldResolver(() => Int, { nullable: true })
  async queuePosition(@Root() task: LipSyncTask, @Ctx() ctx: RequestContext): Promise<number | null> {
    return task.status === LipSyncTaskStatus.QUEUED ? ctx.services.tasks.queuePosition(task.id) : null;
  }

  @Subscription(() => LipSyncTask, {
    description:
      'The task now, then on every status change (and, while QUEUED, on position changes at most once a second); completes after SUCCEEDED, FAILED or CANCELED. Accepts our id or the klingTaskId.',
    subscribe: ({ args, context }) =>
      (context as RequestContext).services.tasks.watch((context as RequestContext).tenant, args.id as string),
  })
  lipSyncTaskUpdated(@Root() record: TaskRecord, @Arg('id', () => ID) _id: string): LipSyncTask {
    return toLipSyncTask(record);
  }
}

function cursorOf(record: TaskRecord): string {
  return encodeCursor({ createdAt: record.createdAt, id: record.id });
}
