import { Directive, Field, ObjectType } from 'type-graphql';

/**
 * Relay's PageInfo, with all four fields the Relay connection spec requires. `@shareable` because every
 * Relay-shaped subgraph defines its own `PageInfo`: a supergraph may resolve these fields from any of them
 * (composition refuses a non-shareable type defined twice, and a query plan needs every field here).
 */
@Directive('@shareable')
@ObjectType({ description: 'Relay page information.' })
export class PageInfo {
  @Field({ description: 'True when another page follows `endCursor`.' })
  hasNextPage: boolean;

  @Field({
    description:
      'Always false: pages go forward only (`first`/`after`), and for forward paging the Relay spec lets a server ' +
      'answer false instead of looking backwards. Newer tasks than a page are those of the pages before it.',
  })
  hasPreviousPage: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'The cursor of the first task of this page; null when it is empty.',
  })
  startCursor: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Pass as `after` to get the next page; null when this page is empty.',
  })
  endCursor: string | null;
}
