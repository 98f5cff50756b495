import { errorLines, subscribe } from './api';
import { element } from './dom';
import type { TaskFieldsFragment } from './gql/graphql';
import { TaskUpdatedSubscription } from './operations';
import { STATUS_MEANINGS } from './statuses';

/** One task followed live over graphql-ws: its status in the role="status" line, then its video. */
export class TaskView {
  private readonly heading = element('task-heading', HTMLElement);
  private readonly status = element('status', HTMLElement);
  private readonly details = element('task-details', HTMLElement);
  private readonly video = element('result-video', HTMLVideoElement);
  private readonly download = element('result-link', HTMLAnchorElement);
  private stop: (() => void) | null = null;

  constructor(private readonly onChange: (task: TaskFieldsFragment) => void) {}

  /** The subscription sends the task as it is now first, so opening a finished task needs nothing else. */
  follow(id: string): void {
    this.stop?.();
    this.showVideo(null);
    this.details.replaceChildren();
    this.status.textContent = `Task ${id}: loading…`;
    this.heading.focus();
    this.stop = subscribe(TaskUpdatedSubscription, { id }, {
      next: ({ lipSyncTaskUpdated: task }) => {
        this.show(task);
        this.onChange(task);
      },
      error: (error) => {
        this.status.textContent = `Task ${id}: cannot follow it. ${errorLines(error).join(' ')}`;
      },
      complete: () => {
        this.stop = null;
      },
    });
  }

  private show(task: TaskFieldsFragment): void {
    const reason = task.statusMessage ? `: ${task.statusMessage}` : '';
    this.status.textContent = `Task ${task.id}: ${task.status} (${STATUS_MEANINGS[task.status]})${reason}`;
    this.details.replaceChildren(
      ...detail('Created', new Date(task.createdAt).toLocaleString()),
      ...(task.upstreamRequestId ? detail('Kling request id', task.upstreamRequestId) : []),
    );
    this.showVideo(task.status === 'SUCCEEDED' ? (task.videos[0]?.url ?? null) : null);
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
  return [Object.assign(document.createElement('dt'), { textContent: term }), Object.assign(document.createElement('dd'), { textContent: value })];
}
