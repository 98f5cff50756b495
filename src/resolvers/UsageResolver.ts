import { Args, Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import { toLipSyncUsage } from '../mappers/usage';
import { LipSyncUsage } from '../types/LipSyncUsage';
import { UsageArgs } from '../types/UsageArgs';
import { UsageGroupBy } from '../types/UsageGroupBy';

@Resolver()
export class UsageResolver {
  @Query(() => LipSyncUsage, {
    description:
      "The caller's usage: tasks created in [from, to) by status, and the units charged for them (default: this month so far, UTC).",
  })
  async usage(@Args() { from, to, groupBy }: UsageArgs, @Ctx() ctx: RequestContext): Promise<LipSyncUsage> {
    const report = await ctx.services.usage.report(ctx.tenant, from ?? null, to ?? null, groupBy === UsageGroupBy.DAY);
    return toLipSyncUsage(report);
  }
}
