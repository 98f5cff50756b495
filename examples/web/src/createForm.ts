import { ApiError, describeServerError, errorLines, execute, type FieldError } from './api';
import { element, setDescribedBy } from './dom';
import type { CreateLipSyncInput, TaskFieldsFragment, VoiceLanguage } from './gql/graphql';
import { CreateLipSyncMutation, VoicesQuery } from './operations';

/** CreateLipSyncInput.text: 1–120 characters (schema.graphql). */
const TEXT_LIMIT = 120;

/** Which control shows a server field's error; `mode` (text or audio, not both) belongs to the speech. */
const CONTROL_OF: Readonly<Record<string, string>> = {
  videoUrl: 'videoUrl',
  videoId: 'videoId',
  text: 'text',
  mode: 'text',
  voiceLanguage: 'voiceLanguage',
  voiceId: 'voiceId',
  audioUrl: 'audioUrl',
};

/** The "New lip-sync" form: the server validates, and each of its field errors is shown at its field. */
export class CreateForm {
  private readonly form = element('create-form', HTMLFormElement);
  private readonly videoUrl = element('videoUrl', HTMLInputElement);
  private readonly videoId = element('videoId', HTMLInputElement);
  private readonly text = element('text', HTMLTextAreaElement);
  private readonly counter = element('text-counter', HTMLElement);
  private readonly language = element('voiceLanguage', HTMLSelectElement);
  private readonly voice = element('voiceId', HTMLSelectElement);
  private readonly audioUrl = element('audioUrl', HTMLInputElement);
  private readonly submitButton = element('create', HTMLButtonElement);
  private readonly formError = element('form-error', HTMLElement);

  constructor(private readonly onCreated: (task: TaskFieldsFragment) => void) {
    this.text.addEventListener('input', () => this.count());
    this.language.addEventListener('change', () => void this.loadVoices());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
  }

  async start(): Promise<void> {
    this.count();
    await this.loadVoices();
  }

  private count(): void {
    const length = this.text.value.length;
    this.counter.textContent = `${length}/${TEXT_LIMIT}`;
    this.counter.classList.toggle('over', length > TEXT_LIMIT);
  }

  private async loadVoices(): Promise<void> {
    this.voice.disabled = true;
    try {
      const { voices } = await execute(VoicesQuery, { language: this.language.value as VoiceLanguage });
      this.voice.replaceChildren(...voices.map((v) => new Option(`${v.name} (${v.id})`, v.id)));
    } catch (error) {
      this.showFormError(errorLines(error));
    } finally {
      this.voice.disabled = false;
    }
  }

  /** Audio URL alone means AUDIO_TO_VIDEO; otherwise text, language and voice go (with the audio, if any: the server says which to drop). */
  private input(): CreateLipSyncInput {
    const given = (control: HTMLInputElement) => control.value.trim() || undefined;
    const text = this.text.value || undefined;
    const audioUrl = given(this.audioUrl);
    const voiceLanguage = this.language.value as VoiceLanguage;
    const speech =
      audioUrl && !text ? { audioUrl } : { text, voiceId: this.voice.value || undefined, voiceLanguage, audioUrl };
    return { videoUrl: given(this.videoUrl), videoId: given(this.videoId), ...speech };
  }

  private async submit(): Promise<void> {
    this.clearErrors();
    this.submitButton.disabled = true;
    try {
      const { createLipSync } = await execute(CreateLipSyncMutation, { input: this.input() });
      this.onCreated(createLipSync);
    } catch (error) {
      this.showError(error);
    } finally {
      this.submitButton.disabled = false;
    }
  }

  private showError(error: unknown): void {
    const lines: string[] = [];
    for (const serverError of error instanceof ApiError ? error.errors : []) {
      const fieldErrors = serverError.extensions?.validationErrors ?? [];
      if (fieldErrors.length === 0) lines.push(describeServerError(serverError));
      for (const fieldError of fieldErrors)
        if (!this.showFieldError(fieldError)) lines.push(`${fieldError.field}: ${fieldError.message}`);
    }
    if (!(error instanceof ApiError)) lines.push(...errorLines(error));
    if (lines.length > 0) this.showFormError(lines);
    // Keyboard users land on the first field to fix.
    this.form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }

  /** False when no control shows this field (the error then goes to the form's own message). */
  private showFieldError({ field, message }: FieldError): boolean {
    const controlId = CONTROL_OF[field];
    const control = controlId && document.getElementById(controlId);
    const slot = controlId && document.getElementById(`${controlId}-error`);
    if (!control || !slot) return false;
    slot.textContent = slot.hidden ? message : `${slot.textContent} ${message}`;
    slot.hidden = false;
    control.setAttribute('aria-invalid', 'true');
    setDescribedBy(control, slot.id, true);
    return true;
  }

  private showFormError(lines: string[]): void {
    this.formError.replaceChildren(
      ...lines.map((line) => Object.assign(document.createElement('p'), { textContent: line })),
    );
    this.formError.hidden = false;
  }

  private clearErrors(): void {
    this.formError.hidden = true;
    this.formError.replaceChildren();
    for (const controlId of new Set(Object.values(CONTROL_OF))) {
      const control = element(controlId, HTMLElement);
      const slot = element(`${controlId}-error`, HTMLElement);
      slot.hidden = true;
      slot.textContent = '';
      control.removeAttribute('aria-invalid');
      setDescribedBy(control, slot.id, false);
    }
  }
}
