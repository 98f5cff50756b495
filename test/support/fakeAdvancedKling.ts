import { FakeRejection, FakeTaskLedger, isObject, newKlingId, type LedgerTiming } from './fakeTaskLedger';

/*
 * The fake Kling's advanced lip-sync (docs/kling.md, "Advanced lip-sync"): identify-face and the
 * /v1/videos/advanced-lip-sync family (create, get, list), with Kling's rules and error codes, so a test can prove
 * the server rejects first. Written from docs/kling.md alone; it imports nothing from src/.
 */

export type FakeAdvancedEndpoint = 'identify_face' | 'advanced_create' | 'advanced_get' | 'advanced_list';

export type FakeAdvancedRoute =
  { endpoint: 'identify_face' | 'advanced_create' | 'advanced_list' } | { endpoint: 'advanced_get'; taskId: string };

export const IDENTIFY_FACE_PATH = '/v1/videos/identify-face';
export const ADVANCED_LIP_SYNC_PATH = '/v1/videos/advanced-lip-sync';

/** Every fake video lasts 5.1 s (the ledger's duration). */
export const FAKE_VIDEO_MS = 5_100;
/**
 * The faces the fake finds, in order: a video whose reference mentions "two-faces" shows both, one that mentions
 * "no-face" none, any other the first. Fixed, so tests can aim at their edges.
 */
export const FAKE_FACES = [
  { face_id: 'face_1', start_time: 1_000, end_time: 5_000 },
  { face_id: 'face_2', start_time: 2_500, end_time: FAKE_VIDEO_MS },
] as const;
export const FAKE_IDENTIFY_UNITS = '0.5';
const MIN_CLIP_MS = 2_000;

export interface FakeFaceSession {
  session_id: string;
  final_unit_deduction: string;
  face_data: Array<{ face_id: string; face_image: string; start_time: number; end_time: number }>;
}

interface StoredSession {
  input: Record<string, unknown>;
  faces: ReadonlyArray<(typeof FAKE_FACES)[number]>;
}

export class FakeAdvancedKling {
  readonly tasks: FakeTaskLedger;
  /** by session_id */
  readonly sessions = new Map<string, StoredSession>();

  constructor(
    timing: LedgerTiming,
    private readonly mediaBaseUrl: () => string,
  ) {
    this.tasks = new FakeTaskLedger({ ...timing, checkBody: (body) => this.checkCreateBody(body) });
  }

  /** The route of a path below the prefix, or null when it is not an advanced endpoint. */
  route(method: string, path: string): FakeAdvancedRoute | null {
    if (path === IDENTIFY_FACE_PATH) return method === 'POST' ? { endpoint: 'identify_face' } : null;
    if (!path.startsWith(ADVANCED_LIP_SYNC_PATH)) return null;
    const rest = path.slice(ADVANCED_LIP_SYNC_PATH.length);
    if (rest === '' || rest === '/') {
      if (method === 'POST') return { endpoint: 'advanced_create' };
      return method === 'GET' ? { endpoint: 'advanced_list' } : null;
    }
    if (method === 'GET' && /^\/[^/]+$/.test(rest))
      return { endpoint: 'advanced_get', taskId: decodeURIComponent(rest.slice(1)) };
    return null;
  }

  /** `page`: the list's pageNum and pageSize as the request gave them */
  answer(route: FakeAdvancedRoute, body: unknown, page: { pageNum: number; pageSize: number }): unknown {
    switch (route.endpoint) {
      case 'identify_face':
        return this.identify(body);
      case 'advanced_create':
        return this.tasks.create(body);
      case 'advanced_get':
        return this.tasks.get(route.taskId);
      case 'advanced_list':
        return this.tasks.list(page.pageNum, page.pageSize);
    }
  }

  clear(): void {
    this.tasks.clear();
    this.sessions.clear();
  }

  private identify(body: unknown): FakeFaceSession {
    if (!isObject(body)) throw new FakeRejection(1200, 'Invalid request parameters: a JSON object is required');
    if (filled(body.video_id) === filled(body.video_url)) bad('exactly one of video_id and video_url');
    if (filled(body.video_url) && !/^https?:\/\/[^\s/]+/i.test(body.video_url)) bad('video_url');
    const reference = String(body.video_id ?? body.video_url);
    const faces = /no[\s_-]?face/i.test(reference)
      ? []
      : FAKE_FACES.slice(0, /two[\s_-]?faces/i.test(reference) ? 2 : 1);
    const sessionId = `session-${newKlingId()}`;
    this.sessions.set(sessionId, { input: body, faces });
    return {
      session_id: sessionId,
      final_unit_deduction: FAKE_IDENTIFY_UNITS,
      face_data: faces.map((face) => ({ ...face, face_image: `${this.mediaBaseUrl()}/faces/${face.face_id}.jpg` })),
    };
  }

  /** Kling's advanced create rules; what the ledger books (the session's video, the watermark). */
  private checkCreateBody(body: unknown): { input: Record<string, unknown>; externalTaskId: string | undefined } {
    if (!isObject(body)) throw new FakeRejection(1200, 'Invalid request parameters: a JSON object is required');
    const session = typeof body.session_id === 'string' ? this.sessions.get(body.session_id) : undefined;
    if (!session) bad('session_id (unknown or expired: identify the faces again)');
    const choices = body.face_choose;
    if (!Array.isArray(choices) || choices.length !== 1) bad('face_choose (currently only one person)');
    const choice = (choices as unknown[])[0];
    if (!isObject(choice)) return bad('face_choose[0]');
    const face = session!.faces.find((candidate) => candidate.face_id === choice.face_id);
    if (!face) bad('face_id (not a face of this session)');
    if (filled(choice.audio_id) === filled(choice.sound_file)) bad('exactly one of audio_id and sound_file');
    const [start, end, insert] = [choice.sound_start_time, choice.sound_end_time, choice.sound_insert_time];
    if (![start, end, insert].every((ms) => Number.isInteger(ms) && (ms as number) >= 0))
      bad('sound_start_time, sound_end_time, sound_insert_time (whole milliseconds)');
    const [s, e, i] = [start, end, insert] as number[];
    if (e - s < MIN_CLIP_MS) bad('sound_end_time - sound_start_time must be at least 2000 ms');
    if (i >= FAKE_VIDEO_MS) bad('sound_insert_time must lie inside the video');
    const overlap = Math.min(i + e - s, face!.end_time) - Math.max(i, face!.start_time);
    if (overlap < MIN_CLIP_MS) bad("the inserted sound must overlap the face's time by at least 2000 ms");
    for (const key of ['sound_volume', 'original_audio_volume'] as const) {
      const volume = choice[key];
      if (volume !== undefined && !(typeof volume === 'number' && volume >= 0 && volume <= 2)) bad(`${key} (0 to 2)`);
    }
    const watermark = body.watermark_info;
    if (watermark !== undefined && !(isObject(watermark) && typeof watermark.enabled === 'boolean'))
      bad('watermark_info.enabled');
    if (body.callback_url !== undefined && !filled(body.callback_url)) bad('callback_url');
    if (body.external_task_id !== undefined && !filled(body.external_task_id)) bad('external_task_id');
    return {
      input: { ...session!.input, watermark: isObject(watermark) && watermark.enabled === true },
      externalTaskId: body.external_task_id as string | undefined,
    };
  }
}

function bad(what: string): never {
  throw new FakeRejection(1201, `Invalid parameter value: ${what}`);
}

function filled(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}
