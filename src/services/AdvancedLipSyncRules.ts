import { insertedRange, overlapMs, type AdvancedLipSyncRequest } from '../domain/advancedRequest';
import type { FaceInfo } from '../domain/task';
import { BadUserInputError, type FieldError } from '../errors';
import type { TaskStore } from '../store/TaskStore';
import { MIN_CLIP_MS } from '../types/FaceAudioInput';

/**
 * The rules of an advanced create that need the stored face session (docs/kling.md, "Advanced lip-sync"), checked
 * before anything is written or sent: the session is this tenant's and not expired, each face belongs to it, and
 * each inserted clip overlaps its face's time range by at least 2,000 ms. The errors have the same shape as the
 * input rules' (BAD_USER_INPUT naming the field, e.g. `faces[0].faceId`).
 */
export class AdvancedLipSyncRules {
  constructor(private readonly options: { store: TaskStore; now: () => number }) {}

  /** The chosen faces, as the session describes them; throws BadUserInputError for what Kling would refuse. */
  async check(tenant: string, request: AdvancedLipSyncRequest): Promise<FaceInfo[]> {
    const session = await this.options.store.getFaceSession(request.sessionId, tenant);
    if (!session) {
      throw new BadUserInputError([
        {
          field: 'sessionId',
          message: 'sessionId is not a face session of this caller: identify the faces first (identifyFaces)',
        },
      ]);
    }
    if (session.expiresAt <= this.options.now()) {
      throw new BadUserInputError([
        {
          field: 'sessionId',
          message: `sessionId expired at ${new Date(session.expiresAt).toISOString()}: identify the faces again (identifyFaces)`,
        },
      ]);
    }
    const problems: FieldError[] = [];
    const chosen: FaceInfo[] = [];
    request.faces.forEach((face, i) => {
      const known = session.faces.find((candidate) => candidate.id === face.faceId);
      if (!known) {
        const ids = session.faces.map((candidate) => candidate.id).join(', ') || 'none';
        problems.push({
          field: `faces[${i}].faceId`,
          message: `faces[${i}].faceId is not a face of session ${session.id} (its faces: ${ids})`,
        });
        return;
      }
      chosen.push(known);
      const clip = insertedRange(face);
      const shared = overlapMs(clip, known);
      if (shared < MIN_CLIP_MS) {
        problems.push({
          field: `faces[${i}].soundInsertMs`,
          message:
            `faces[${i}].soundInsertMs places the clip at [${clip.startMs}, ${clip.endMs}] ms, which overlaps face ` +
            `${known.id} [${known.startMs}, ${known.endMs}] ms by ${shared} ms; Kling needs at least ${MIN_CLIP_MS} ms`,
        });
      }
    });
    if (problems.length > 0) throw new BadUserInputError(problems);
    return chosen;
  }
}
