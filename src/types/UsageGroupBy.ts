import { registerEnumType } from 'type-graphql';

export enum UsageGroupBy {
  DAY = 'DAY',
}

registerEnumType(UsageGroupBy, {
  name: 'UsageGroupBy',
  description: 'How `usage` splits its totals.',
  valuesConfig: { DAY: { description: 'One entry per UTC day that has tasks (`LipSyncUsage.days`).' } },
});
