import type { GraphQLResolveInfo } from 'graphql';
import { Ctx, FieldResolver, Info, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../context';
import { hintCache } from '../graphql/cacheHints';
import { ArchiveState } from '../types/ArchiveState';
import { LipSyncTask } from '../types/LipSyncTask';
import { LipSyncTaskStatus } from '../types/LipSyncTaskStatus';

@Resolver(() => LipSyncTask)
export class LipSyncTaskArchiveResolver {
  @FieldResolver(() => ArchiveState, {
    nullable: true,
    description:
      'This server\'s copy of the task\'s videos (README, "Keeping results"): null until SUCCEEDED; PENDING, ARCHIVED, FAILED (the task stays SUCCEEDED) or OFF.',
  })
  async archivedState(
    @Root() task: LipSyncTask,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ArchiveState | null> {
    const state = await ctx.services.archive.stateOf(ctx, ctx.tenant, {
      id: task.id,
      succeeded: task.status === LipSyncTaskStatus.SUCCEEDED,
      createdAt: task.createdAt.getTime(),
    });
    // still moving: an answer that says PENDING must not be cached like a finished task
    if (state === ArchiveState.PENDING) hintCache(info, ctx, { maxAge: 0 });
    return state;
  }
}
