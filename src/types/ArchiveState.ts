import { registerEnumType } from 'type-graphql';

/** Where a succeeded task's videos stand in this server's archive (README, "Keeping results"). */
export enum ArchiveState {
  PENDING = 'PENDING',
  ARCHIVED = 'ARCHIVED',
  FAILED = 'FAILED',
  OFF = 'OFF',
}

registerEnumType(ArchiveState, {
  name: 'ArchiveState',
  description: "Where a succeeded task's videos stand in this server's archive.",
  valuesConfig: {
    PENDING: { description: 'Being copied (or waiting for a retry).' },
    ARCHIVED: { description: 'Every video is kept here: `LipSyncVideo.archivedUrl` serves it.' },
    FAILED: { description: 'A video could not be copied after the retries; the task itself is still SUCCEEDED.' },
    OFF: { description: 'No copy is kept: ARCHIVE=off, or deleted after ARCHIVE_RETENTION_DAYS.' },
  },
});
