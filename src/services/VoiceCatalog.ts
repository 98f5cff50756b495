import catalogue from '../data/voices.json';

export interface VoiceEntry {
  id: string;
  language: 'ZH' | 'EN';
  name: string;
}

/**
 * The known voices, kept as data (src/data/voices.json), not code. The upstream adds voices over
 * time, so an unknown (id, language) pair is a warning for the caller, not an error.
 */
export class VoiceCatalog {
  private readonly known: ReadonlySet<string>;

  constructor(private readonly voices: readonly VoiceEntry[]) {
    this.known = new Set(voices.map((v) => key(v.id, v.language)));
  }

  /** The catalogue shipped in src/data/voices.json (compiled along into dist/). */
  static bundled(): VoiceCatalog {
    return new VoiceCatalog(catalogue.voices as VoiceEntry[]);
  }

  list(language?: 'ZH' | 'EN' | null): readonly VoiceEntry[] {
    return language ? this.voices.filter((v) => v.language === language) : this.voices;
  }

  has(id: string, language: 'ZH' | 'EN'): boolean {
    return this.known.has(key(id, language));
  }
}

function key(id: string, language: string): string {
  return `${language}:${id}`;
}
