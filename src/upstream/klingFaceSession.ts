import type { KlingFaceData, KlingFaceSessionData } from './kling.types';

/**
 * The guard an identify-face answer passes before anything uses it (docs/kling.md, "Advanced lip-sync"): a session
 * id, and faces with an id, a thumbnail and a time range in whole milliseconds. Kling's answer is the only record
 * of a session it billed, so an answer that fails here is an upstream error, never silently trimmed.
 */
export type FaceSessionReading = { session: KlingFaceSessionData } | { problem: string };

const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function readKlingFaceSession(value: unknown): FaceSessionReading {
  if (!isObject(value)) return { problem: 'the face session is not an object' };
  if (typeof value.session_id !== 'string' || !SESSION_ID.test(value.session_id))
    return { problem: 'session_id is not an id string' };
  const units = value.final_unit_deduction;
  if (units !== undefined && units !== null && typeof units !== 'string' && typeof units !== 'number')
    return { problem: 'final_unit_deduction is not a decimal' };
  const faces = value.face_data ?? [];
  if (!Array.isArray(faces)) return { problem: 'face_data is not a list' };
  for (const face of faces) {
    const problem = faceProblem(face);
    if (problem) return { problem };
  }
  return {
    session: {
      session_id: value.session_id,
      ...(units !== undefined && units !== null && { final_unit_deduction: String(units) }),
      face_data: faces as KlingFaceData[],
    },
  };
}

function faceProblem(face: unknown): string | null {
  if (!isObject(face)) return 'a face is not an object';
  if (typeof face.face_id !== 'string' || face.face_id === '') return 'a face has no face_id';
  if (typeof face.face_image !== 'string') return 'a face has no face_image';
  const { start_time: start, end_time: end } = face;
  if (!isMs(start) || !isMs(end) || end < start) return 'a face has no valid start_time/end_time';
  return null;
}

function isMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
