import { CreateForm } from './createForm';
import { TaskList } from './taskList';
import { TaskView } from './taskView';
import './style.css';

/** A task opened here is in the address (#task=…), so it can be bookmarked and reopened. */
function open(id: string): void {
  history.replaceState(null, '', `#task=${encodeURIComponent(id)}`);
  view.follow(id);
}

const list = new TaskList(open);
const view = new TaskView(() => void list.refresh());
const form = new CreateForm((task) => open(task.id));

void form.start();
void list.firstPage();
const linked = new URLSearchParams(location.hash.slice(1)).get('task');
if (linked) view.follow(linked);
