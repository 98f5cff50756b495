import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { ArchiveConfig } from '../../config';
import type { ArchiveStorage } from './ArchiveStorage';

type S3Settings = NonNullable<ArchiveConfig['s3']>;
type S3Modules = {
  s3: typeof import('@aws-sdk/client-s3');
  storage: typeof import('@aws-sdk/lib-storage');
  presigner: typeof import('@aws-sdk/s3-request-presigner');
};

/**
 * Copies in any S3-compatible bucket. Uploads stream through @aws-sdk/lib-storage (multipart above 5 MB): an
 * object appears only when its upload completes, so a crash never leaves a partial object under its key (an
 * interrupted multipart upload is invisible; a bucket lifecycle rule `AbortIncompleteMultipartUpload` clears its
 * parts). Credentials come from the SDK's usual chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, roles).
 * The SDK is loaded only when ARCHIVE=s3.
 */
export class S3ArchiveStorage implements ArchiveStorage {
  readonly kind = 's3';

  private constructor(
    private readonly settings: S3Settings,
    private readonly modules: S3Modules,
    private readonly client: S3Client,
  ) {}

  static async open(settings: S3Settings): Promise<S3ArchiveStorage> {
    const modules: S3Modules = {
      s3: await import('@aws-sdk/client-s3'),
      storage: await import('@aws-sdk/lib-storage'),
      presigner: await import('@aws-sdk/s3-request-presigner'),
    };
    const client = new modules.s3.S3Client({
      region: settings.region,
      endpoint: settings.endpoint ?? undefined,
      forcePathStyle: settings.forcePathStyle,
      // Checksums only where S3 requires them: many S3-compatible stores reject the newer default trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return new S3ArchiveStorage(settings, modules, client);
  }

  async start(): Promise<void> {}

  async save(key: string, body: Readable, signal: AbortSignal): Promise<void> {
    const upload = new this.modules.storage.Upload({
      client: this.client,
      params: { Bucket: this.settings.bucket, Key: key, Body: body, ContentType: 'video/mp4' },
    });
    const abort = () => void upload.abort();
    signal.addEventListener('abort', abort, { once: true });
    try {
      await upload.done();
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new this.modules.s3.DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }));
  }

  /** A presigned GET: works in a <video> tag without any header, for `ttlSeconds`. */
  presignedUrl(key: string, ttlSeconds: number): Promise<string> {
    const command = new this.modules.s3.GetObjectCommand({
      Bucket: this.settings.bucket,
      Key: key,
      ResponseContentType: 'video/mp4',
    });
    return this.modules.presigner.getSignedUrl(this.client, command, { expiresIn: ttlSeconds });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
