import { describe, expect, it } from '@jest/globals';
import type { KlingCreateBody } from '../../src/upstream/kling.types';
import { KlingRejection } from '../../src/upstream/simulated/KlingRejection';
import { TaskBook } from '../../src/upstream/simulated/TaskBook';
import { audioToVideoBody, textToVideoBody } from './support';

function bookWithClock(start = 1_762_832_498_885) {
  const clock = { now: start };
  const book = new TaskBook({ now: () => clock.now, processingAfterMs: 1_000, succeedAfterMs: 5_000 });
  return { book, clock };
}

function rejection(act: () => unknown): KlingRejection {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(KlingRejection);
    return error as KlingRejection;
  }
  throw new Error('expected a KlingRejection');
}

describe('TaskBook', () => {
  it('answers 1303 beyond its concurrency limit, until a running task ends (SIMULATED_MAX_CONCURRENT)', () => {
    const clock = { now: 1_762_832_498_885 };
    const book = new TaskBook({
      now: () => clock.now,
      processingAfterMs: 1_000,
      succeedAfterMs: 5_000,
      maxConcurrent: 2,
    });
    book.create(textToVideoBody({}, 'rec-a'));
    book.create(textToVideoBody({}, 'rec-b'));
    const refused = rejection(() => book.create(textToVideoBody({}, 'rec-c')));
    expect({ code: refused.code, httpStatus: refused.httpStatus }).toEqual({ code: 1303, httpStatus: 429 });
    clock.now += 5_000; // both finished: their slots are free
    expect(book.create(textToVideoBody({}, 'rec-c')).task_info?.external_task_id).toBe('rec-c');
  });

  it('moves a task from submitted to processing to succeed with its age', () => {
    const { book, clock } = bookWithClock();
    const created = book.create(textToVideoBody({}, 'rec-1'));
    const start = created.created_at;

    expect(created).toMatchObject({ task_status: 'submitted', task_status_msg: '', updated_at: start });
    expect(created.task_id).toMatch(/^\d{18}$/);
    expect(created.task_info).toEqual({
      parent_video: { id: expect.stringMatching(/^\d{18}$/), url: 'https://cdn.example.com/face.mp4', duration: '5.1' },
      external_task_id: 'rec-1',
    });
    expect(created.task_result).toBeUndefined();

    clock.now += 1_000;
    expect(book.get(created.task_id)).toMatchObject({ task_status: 'processing', updated_at: start + 1_000 });
    expect(book.get(created.task_id).final_unit_deduction).toBeUndefined(); // not known before the end

    clock.now += 4_000;
    const done = book.get(created.task_id);
    expect(done).toMatchObject({
      task_status: 'succeed',
      created_at: start,
      updated_at: start + 5_000,
      final_unit_deduction: '1.5', // a decimal string, as Kling sends it
    });
    expect(done.task_result?.videos).toEqual([
      {
        id: expect.stringMatching(/^\d{18}$/),
        url: expect.stringMatching(/^https:\/\/.+\/lipsync\/\d{18}\.mp4$/),
        duration: '5.1',
      },
    ]);
  });

  it('fails a task whose text mentions no face, as Kling does for a faceless video', () => {
    const { book, clock } = bookWithClock();
    const { task_id } = book.create(textToVideoBody({ text: 'There is no face here' }));
    clock.now += 5_000;
    expect(book.get(task_id)).toMatchObject({
      task_status: 'failed',
      task_status_msg: 'no face detected in the video',
      final_unit_deduction: '0',
    });
    expect(book.get(task_id).task_result).toBeUndefined();
  });

  it('echoes a parent video given by id', () => {
    const { book } = bookWithClock();
    const task = book.create(audioToVideoBody({ video_id: '800000000000000001' }));
    expect(task.task_info?.parent_video?.id).toBe('800000000000000001');
  });

  it.each<[string, KlingCreateBody['input']]>([
    ['both video sources', { ...textToVideoBody().input, video_id: '800000000000000001' }],
    ['no video source', { ...textToVideoBody().input, video_url: undefined }],
    ['an empty video_url', { ...textToVideoBody().input, video_url: '' }],
    ['a mode from the seed page', { ...textToVideoBody().input, mode: 'std' as never }],
    ['text2video without text', { ...textToVideoBody().input, text: undefined }],
    ['text2video without voice_id', { ...textToVideoBody().input, voice_id: undefined }],
    ['text2video with a bad language', { ...textToVideoBody().input, voice_language: 'fr' as never }],
    ['text over 120 characters', { ...textToVideoBody().input, text: 'a'.repeat(121) }],
    ['voice_speed below 0.8', { ...textToVideoBody().input, voice_speed: 0.7 }],
    ['voice_speed above 2.0', { ...textToVideoBody().input, voice_speed: 2.1 }],
    ['audio url type without audio_url', { ...audioToVideoBody().input, audio_url: undefined }],
    ['audio url type with a file as well', { ...audioToVideoBody().input, audio_file: 'AAAA' }],
    ['audio file type with a url', { ...audioToVideoBody().input, audio_type: 'file' }],
    ['audio without audio_type', { ...audioToVideoBody().input, audio_type: undefined }],
  ])('rejects %s with 1201', (_name, input) => {
    const { book } = bookWithClock();
    const error = rejection(() => book.create({ input }));
    expect([error.code, error.httpStatus]).toEqual([1201, 400]);
    expect(book.size).toBe(0);
  });

  it('accepts the limits themselves', () => {
    const { book } = bookWithClock();
    book.create(textToVideoBody({ text: '字'.repeat(120), voice_speed: 0.8, voice_language: 'zh' }));
    book.create(textToVideoBody({ voice_speed: 2.0 }));
    book.create(audioToVideoBody({ audio_type: 'file', audio_url: undefined, audio_file: 'UklGRg==' }));
    expect(book.size).toBe(3);
  });

  it('rejects a body without input as 1200 and a reused external_task_id as 1201', () => {
    const { book } = bookWithClock();
    expect(rejection(() => book.create('nonsense' as never)).code).toBe(1200);
    book.create(textToVideoBody({}, 'rec-1'));
    expect(rejection(() => book.create(textToVideoBody({}, 'rec-1'))).message).toContain('external_task_id');
    expect(book.taskByExternalId('rec-1')).toBeDefined();
  });

  it('answers 1203 for an unknown task', () => {
    const { book } = bookWithClock();
    expect(rejection(() => book.get('817067112967086149'))).toMatchObject({ code: 1203, httpStatus: 404 });
  });

  it('lists newest first, page by page, within Kling bounds', () => {
    const { book, clock } = bookWithClock();
    const ids = Array.from({ length: 5 }, () => {
      clock.now += 10;
      return book.create(textToVideoBody()).task_id;
    }).reverse();

    expect(book.list(1, 2).map((t) => t.task_id)).toEqual(ids.slice(0, 2));
    expect(book.list(2, 2).map((t) => t.task_id)).toEqual(ids.slice(2, 4));
    expect(book.list(3, 2).map((t) => t.task_id)).toEqual(ids.slice(4));
    expect(book.list(4, 2)).toEqual([]);
    expect(book.allTasks().map((t) => t.task_id)).toEqual(ids);
    expect(rejection(() => book.list(0, 10)).code).toBe(1201);
    expect(rejection(() => book.list(1, 501)).code).toBe(1201);
  });

  it('forgets the oldest tasks past maxTasks', () => {
    const book = new TaskBook({ maxTasks: 2 });
    const [first, second, third] = [1, 2, 3].map((n) => book.create(textToVideoBody({}, `rec-${n}`)));
    expect(book.allTasks().map((t) => t.task_id)).toEqual([third.task_id, second.task_id]);
    expect(book.taskByExternalId('rec-1')).toBeUndefined();
    expect(rejection(() => book.get(first.task_id)).code).toBe(1203);
  });

  it('hands out copies, so an answer cannot change the book', () => {
    const { book } = bookWithClock();
    const task = book.create(textToVideoBody());
    (task.task_info?.parent_video as { url: string }).url = 'changed';
    expect(book.get(task.task_id).task_info?.parent_video?.url).toBe('https://cdn.example.com/face.mp4');
  });
});
