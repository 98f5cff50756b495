import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import { toFaceIdentification } from '../mappers/faceSession';
import { toLipSyncTask } from '../mappers/lipSyncTask';
import { AdvancedLipSyncInput } from '../types/AdvancedLipSyncInput';
import { FaceIdentification } from '../types/FaceIdentification';
import { IdentifyFacesInput } from '../types/IdentifyFacesInput';
import { LipSyncTask } from '../types/LipSyncTask';

/** Kling's two-step advanced lip-sync (docs/api.md, "Advanced lip-sync"): find the faces, then make one speak. */
@Resolver()
export class AdvancedLipSyncResolver {
  @Mutation(() => FaceIdentification, {
    description:
      'Finds the faces in a video (Kling identify-face; it costs units) and keeps the session for this caller until ' +
      '`expiresAt`. No face found: `faces` is empty, and there is nothing to lip-sync.',
  })
  async identifyFaces(
    @Arg('input', () => IdentifyFacesInput) input: IdentifyFacesInput,
    @Ctx() ctx: RequestContext,
  ): Promise<FaceIdentification> {
    const session = await ctx.services.faces.identify(ctx.tenant, input);
    if (session.upstreamRequestId) ctx.upstreamRequestIds.push(session.upstreamRequestId);
    return toFaceIdentification(session);
  }

  @Mutation(() => LipSyncTask, {
    description:
      'Makes a face from `identifyFaces` speak the given audio: a task of kind ADVANCED, on the same lifecycle as ' +
      '`createLipSync` (queue, idempotency, subscription). Every rule, the session ones included, is checked before ' +
      'Kling is called.',
  })
  async createAdvancedLipSync(
    @Arg('input', () => AdvancedLipSyncInput) input: AdvancedLipSyncInput,
    @Ctx() ctx: RequestContext,
  ): Promise<LipSyncTask> {
    const { record, warnings } = await ctx.services.lipSync.createAdvanced(ctx.tenant, input, ctx.idempotencyKey);
    ctx.warnings.push(...warnings);
    if (record.upstreamRequestId) ctx.upstreamRequestIds.push(record.upstreamRequestId);
    return toLipSyncTask(record);
  }
}
