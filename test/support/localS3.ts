import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

/** The credentials s3rver accepts (it ships this one account). */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * A real S3-compatible server on 127.0.0.1 (s3rver, files in a temporary directory), with one bucket. It speaks
 * the S3 REST API (multipart uploads, ranges, presigned GETs) but does not verify SigV4 signatures or expiry.
 */
export class LocalS3 {
  readonly bucket = 'lipsync-media';
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipsync-s3-'));
  private readonly server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: this.dir,
    configureBuckets: [{ name: this.bucket, configs: [] }],
  });
  private endpointUrl = '';
  private client: S3Client | null = null;

  get endpoint(): string {
    return this.endpointUrl;
  }

  async start(): Promise<this> {
    const { port } = (await this.server.run()) as { port: number };
    this.endpointUrl = `http://127.0.0.1:${port}`;
    this.client = new S3Client({
      endpoint: this.endpointUrl,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: CREDENTIALS,
    });
    return this;
  }

  /** The server's ARCHIVE_S3_* and AWS_* variables for this bucket. */
  env(): Record<string, string> {
    return {
      ARCHIVE: 's3',
      ARCHIVE_S3_BUCKET: this.bucket,
      ARCHIVE_S3_ENDPOINT: this.endpointUrl,
      ARCHIVE_S3_REGION: 'us-east-1',
      ARCHIVE_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    };
  }

  async keys(): Promise<string[]> {
    const listed = await this.client!.send(new ListObjectsV2Command({ Bucket: this.bucket }));
    return (listed.Contents ?? []).map((object) => object.Key!);
  }

  async size(key: string): Promise<number> {
    return (await this.client!.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))).ContentLength ?? 0;
  }

  async close(): Promise<void> {
    this.client?.destroy();
    await this.server.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
