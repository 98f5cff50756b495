import type { FaceSession } from '../domain/faceSession';
import type { FaceInfo } from '../domain/task';
import type { DetectedFace } from '../types/DetectedFace';
import type { FaceIdentification } from '../types/FaceIdentification';
import type { KlingFaceSessionData } from '../upstream/kling.types';

/** identify-face's answer in our terms, kept for `ttlMs` (FACE_SESSION_TTL_HOURS). */
export function fromKlingFaceSession(
  data: KlingFaceSessionData,
  tenant: string,
  upstreamRequestId: string | null,
  now: number,
  ttlMs: number,
): FaceSession {
  const units = data.final_unit_deduction === undefined ? NaN : Number(data.final_unit_deduction);
  return {
    id: data.session_id,
    tenant,
    faces: data.face_data.map((face): FaceInfo => ({
      id: face.face_id,
      imageUrl: face.face_image,
      startMs: Math.round(face.start_time),
      endMs: Math.round(face.end_time),
    })),
    unitsCharged: Number.isFinite(units) ? units : null,
    upstreamRequestId,
    createdAt: now,
    expiresAt: now + ttlMs,
  };
}

export function toFaceIdentification(session: FaceSession): FaceIdentification {
  return {
    sessionId: session.id,
    faces: session.faces.map(toDetectedFace),
    unitsCharged: session.unitsCharged,
    expiresAt: new Date(session.expiresAt),
    upstreamRequestId: session.upstreamRequestId,
  };
}

export function toDetectedFace(face: FaceInfo): DetectedFace {
  return { id: face.id, imageUrl: face.imageUrl, startMs: face.startMs, endMs: face.endMs };
}
