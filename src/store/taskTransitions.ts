import {
  STATE_RANK,
  isTerminal,
  type TaskIntent,
  type TaskRecord,
  type TaskSnapshot,
  type TaskState,
} from '../domain/task';
import type { AnswerFields } from './rowMapping';
import type { SnapshotResult } from './TaskStore';

/**
 * How a stored task changes, decided in one place so both stores (which only differ in SQL) agree.
 * Each store reads the row inside a transaction, asks these functions for the next record, and writes it.
 */

/** The row written before the upstream is called: local times until the upstream reports its own. */
export function intentRecord(intent: TaskIntent): TaskRecord {
  return {
    id: intent.id,
    tenant: intent.tenant,
    state: intent.queued ? 'queued' : 'submitting',
    upstreamId: null,
    mode: intent.mode,
    kind: intent.kind ?? 'STANDARD',
    face: intent.face ?? null,
    statusMessage: null,
    parentVideo: null,
    videos: [],
    idempotencyKey: intent.idempotencyKey,
    requestHash: intent.requestHash,
    idempotencyExpiresAt: intent.idempotencyExpiresAt,
    upstreamRequestId: null,
    submitError: null,
    createdAt: intent.recordedAt,
    updatedAt: intent.recordedAt,
    recordedAt: intent.recordedAt,
    checkedAt: 0,
    leaseUntil: intent.queued ? 0 : intent.leaseUntil,
    queuedAt: intent.queued ? intent.recordedAt : null,
    unitsChargedMicro: null,
  };
}

/** The upstream accepted the task; from any state, because a late acceptance must never be lost. */
export function acceptedRecord(
  stored: TaskRecord,
  snapshot: TaskSnapshot,
  upstreamRequestId: string | null,
  now: number,
): TaskRecord {
  // The same acceptance can arrive twice (the original call and a reconciliation); the second is just another
  // answer and must not move the task backwards.
  if (stored.upstreamId === snapshot.upstreamId) return mergeSnapshot(stored, snapshot, upstreamRequestId, now).record;
  const accepted = { ...stored, ...acceptance(snapshot, upstreamRequestId, now) };
  // A task accepted into the queue keeps the time this server accepted it: its list position (and cursors) hold.
  return stored.queuedAt === null ? accepted : { ...accepted, createdAt: stored.createdAt };
}

/**
 * What an acceptance writes over a row that holds another upstream id or none. A row without an upstream id
 * (the usual case: its submission just returned) takes exactly this, so stores can write it without reading first.
 */
export function acceptance(snapshot: TaskSnapshot, upstreamRequestId: string | null, now: number): AnswerFields {
  return {
    upstreamId: snapshot.upstreamId,
    state: snapshot.state,
    statusMessage: snapshot.statusMessage,
    parentVideo: snapshot.parentVideo,
    videos: snapshot.videos,
    createdAt: snapshot.createdAt,
    updatedAt: snapshot.updatedAt,
    upstreamRequestId,
    submitError: null,
    checkedAt: now,
    unitsChargedMicro: snapshot.unitsChargedMicro ?? null,
  };
}

/** A later answer about an accepted task. An answer older than what is stored only proves the upstream was asked. */
export function mergeSnapshot(
  stored: TaskRecord,
  snapshot: TaskSnapshot,
  upstreamRequestId: string | null,
  now: number,
): SnapshotResult {
  if (isOlder(snapshot, stored)) return { record: { ...stored, checkedAt: now }, changed: false };
  const record: TaskRecord = {
    ...stored,
    state: snapshot.state,
    statusMessage: snapshot.statusMessage,
    parentVideo: snapshot.parentVideo ?? stored.parentVideo,
    videos: snapshot.videos,
    updatedAt: snapshot.updatedAt,
    // Callbacks carry no request id; the last known one is still the best lead for the upstream's support.
    upstreamRequestId: upstreamRequestId ?? stored.upstreamRequestId,
    checkedAt: now,
    // The first units reported stay: they are what the units counter counted (src/store/unitsCharged.ts).
    unitsChargedMicro: stored.unitsChargedMicro ?? snapshot.unitsChargedMicro ?? null,
  };
  return { record, changed: clientVisibleChange(stored, record) };
}

function rank(state: TaskState): number {
  return state in STATE_RANK ? STATE_RANK[state as keyof typeof STATE_RANK] : -1;
}

/** Answers can overtake each other (poll vs callback), so progress only ever goes forward. */
function isOlder(snapshot: TaskSnapshot, stored: TaskRecord): boolean {
  if (isTerminal(stored.state)) return true;
  const delta = rank(snapshot.state) - rank(stored.state);
  return delta < 0 || (delta === 0 && snapshot.updatedAt < stored.updatedAt);
}

function clientVisibleChange(before: TaskRecord, after: TaskRecord): boolean {
  return (
    before.state !== after.state ||
    before.statusMessage !== after.statusMessage ||
    JSON.stringify(before.videos) !== JSON.stringify(after.videos) ||
    JSON.stringify(before.parentVideo) !== JSON.stringify(after.parentVideo) ||
    before.unitsChargedMicro !== after.unitsChargedMicro
  );
}
