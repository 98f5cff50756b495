/**
 * This server's public origin: PUBLIC_URL, else where it listens, which is known only once it listens.
 * Parts built before that (the simulated upstream's media, the archive's /media links) read it when they need it.
 */
export class ServerOrigin {
  private value: string;

  constructor(private readonly publicUrl: string | null) {
    this.value = publicUrl ?? '';
  }

  get(): string {
    return this.value;
  }

  /** once listening: PUBLIC_URL, when set, still wins over the listening address */
  listening(localOrigin: string): void {
    this.value = this.publicUrl ?? localOrigin;
  }
}
