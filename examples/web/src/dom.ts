/** The element with this id in index.html, of the expected kind (a mismatch is a bug in the page). */
export function element<T extends HTMLElement>(id: string, kind: { new (): T; prototype: T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof kind)) throw new Error(`index.html has no ${kind.name} #${id}`);
  return found;
}

/** Adds or removes one id in an aria-describedby list, keeping the others (hints stay tied to their field). */
export function setDescribedBy(control: HTMLElement, id: string, on: boolean): void {
  const ids = new Set((control.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean));
  if (on) ids.add(id);
  else ids.delete(id);
  if (ids.size === 0) control.removeAttribute('aria-describedby');
  else control.setAttribute('aria-describedby', [...ids].join(' '));
}
