import { errorLines, execute, subscribe } from './api';
import { element } from './dom';
import type { TaskFieldsFragment } from './gql/graphql';
import { CancelLipSyncMutation, TaskUpdatedSubscription } from './operations';
import { STATUS_MEANINGS } from './statuses';

/** One task followed live over graphql-ws: its status in the role="status" line, then its video; Cancel while QUEUED. */
export class TaskView {
  private readonly heading = element('task-heading', HTMLElement);
  private readonly status = element('status', HTMLElement);
  private readonly error = element('task-error', HTMLElement);
  private readonly cancelButton = element('cancel-task', HTMLButtonElement);
  private readonly details = element('task-details', HTMLElement);
  private readonly video = element('result-video', HTMLVideoElement);
  private readonly download = element('result-link', HTMLAnchorElement);
  private stop: (() => void) | null = null;
  private current: string | null = null;

  constructor(private readonly onChange: (task: TaskFieldsFragment) => void) {
    this.cancelButton.addEventListener('click', () => void this.cancel());
  }

  /** The subscription sends the task as it is now first, so opening a finished task needs nothing else. */
  follow(id: string): void {
    this.stop?.();
    this.current = id;
    this.showVideo(null);
    this.showError([]);
    this.cancelButton.hidden = true;
    this.details.replaceChildren();
    this.status.textContent = `Task ${id}: loading…`;
    this.heading.focus();
    this.stop = subscribe(
      TaskUpdatedSubscription,
      { id },
      {
        next: ({ lipSyncTaskUpdated: task }) => this.update(task),
        error: (error) => {
          this.status.textContent = `Task ${id}: cannot follow it. ${errorLines(error).join(' ')}`;
        },
        complete: () => {
          this.stop = null;
        },
      },
    );
  }

  private update(task: TaskFieldsFragment): void {
    this.show(task);
    this.onChange(task);
  }

  /**
   * Only a QUEUED task can be canceled; one the queue sent to Kling a moment ago answers NOT_CANCELABLE, shown
   * like any other error while the subscription goes on showing its real status.
   */
  private async cancel(): Promise<void> {
    const id = this.current;
    if (id === null) return;
    this.showError([]);
    this.cancelButton.disabled = true;
    try {
      const { cancelLipSync } = await execute(CancelLipSyncMutation, { id });
      if (this.current === id) this.update(cancelLipSync);
    } catch (error) {
      if (this.current === id) this.showError(errorLines(error));
    } finally {
      this.cancelButton.disabled = false;
      // the button hides once the task leaves QUEUED: keep the keyboard focus in the task view
      if (this.cancelButton.hidden) this.heading.focus();
    }
  }

  private show(task: TaskFieldsFragment): void {
    const position = task.queuePosition != null ? ` (position ${task.queuePosition})` : '';
    const reason = task.statusMessage ? `: ${task.statusMessage}` : '';
    this.status.textContent = `Task ${task.id}: ${task.status}${position} (${STATUS_MEANINGS[task.status]})${reason}`;
    this.cancelButton.hidden = task.status !== 'QUEUED';
    this.details.replaceChildren(
      ...detail('Created', new Date(task.createdAt).toLocaleString()),
      ...(task.klingTaskId ? detail('Kling task id', task.klingTaskId) : []),
      ...(task.upstreamRequestId ? detail('Kling request id', task.upstreamRequestId) : []),
    );
    this.showVideo(task.status === 'SUCCEEDED' ? (task.videos[0]?.url ?? null) : null);
  }

  private showError(lines: string[]): void {
    this.error.hidden = lines.length === 0;
    this.error.replaceChildren(
      ...lines.map((line) => Object.assign(document.createElement('p'), { textContent: line })),
    );
  }

  private showVideo(url: string | null): void {
    this.video.hidden = this.download.hidden = url === null;
    if (url === null) {
      this.video.removeAttribute('src');
      this.download.removeAttribute('href');
    } else if (this.video.getAttribute('src') !== url) {
      this.video.src = this.download.href = url;
    }
  }
}

function detail(term: string, value: string): HTMLElement[] {
  return [
    Object.assign(document.createElement('dt'), { textContent: term }),
    Object.assign(document.createElement('dd'), { textContent: value }),
  ];
}
