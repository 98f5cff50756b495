import { errorLines, execute } from './api';
import { element } from './dom';
import type { LipSyncTaskStatus } from './gql/graphql';
import { TasksQuery } from './operations';
import { STATUSES } from './statuses';

const PAGE_SIZE = 5;

/** Earlier tasks, newest first, a page at a time (Relay cursors), optionally of one status; each opens in the task view. */
export class TaskList {
  private readonly filter = element('status-filter', HTMLSelectElement);
  private readonly list = element('task-list', HTMLUListElement);
  private readonly previous = element('previous-page', HTMLButtonElement);
  private readonly next = element('next-page', HTMLButtonElement);
  private readonly pageLabel = element('page-label', HTMLElement);
  /** the `after` cursor of every page seen so far: pages go forward only, so going back reuses one */
  private starts: Array<string | null> = [null];
  private page = 0;

  constructor(private readonly onOpen: (id: string) => void) {
    this.filter.append(...STATUSES.map((status) => new Option(status, status)));
    this.filter.addEventListener('change', () => void this.firstPage());
    this.previous.addEventListener('click', () => void this.show(this.page - 1));
    this.next.addEventListener('click', () => void this.show(this.page + 1));
  }

  firstPage(): Promise<void> {
    this.starts = [null];
    return this.show(0);
  }

  /** The current page again, e.g. after a task changed. */
  refresh(): Promise<void> {
    return this.show(this.page);
  }

  private async show(page: number): Promise<void> {
    try {
      const { lipSyncTasks } = await execute(TasksQuery, {
        first: PAGE_SIZE,
        after: this.starts[page] ?? null,
        status: (this.filter.value || null) as LipSyncTaskStatus | null,
      });
      this.page = page;
      this.starts[page + 1] = lipSyncTasks.pageInfo.endCursor;
      this.list.replaceChildren(
        ...lipSyncTasks.edges.map(({ node }) =>
          this.item(node.id, `${node.status} · ${when(node.createdAt)} · ${node.id}`),
        ),
      );
      if (lipSyncTasks.edges.length === 0)
        this.list.append(Object.assign(document.createElement('li'), { textContent: 'No tasks.' }));
      this.previous.disabled = page === 0;
      this.next.disabled = !lipSyncTasks.pageInfo.hasNextPage;
      this.pageLabel.textContent = `Page ${page + 1}`;
    } catch (error) {
      this.list.replaceChildren(
        Object.assign(document.createElement('li'), { textContent: errorLines(error).join(' ') }),
      );
    }
  }

  private item(id: string, text: string): HTMLLIElement {
    const button = Object.assign(document.createElement('button'), { type: 'button', textContent: text });
    button.addEventListener('click', () => this.onOpen(id));
    const li = document.createElement('li');
    li.append(button);
    return li;
  }
}

function when(dateTime: string): string {
  return new Date(dateTime).toLocaleString();
}
