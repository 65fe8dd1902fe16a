/**
 * Actions: a click opens a confirmation that states the effect (rendered by the server into
 * data-effect); only "Confirm" sends the request, with the session's CSRF token.
 */
export function csrfToken(): string | undefined {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content;
}

export async function post(path: string, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = csrfToken();
  if (token !== undefined) headers['x-csrf-token'] = token;
  return fetch(path, { method: 'POST', headers, body: JSON.stringify(body), credentials: 'same-origin' });
}

/** Sends an action; on success closes `dialog` and calls onDone, otherwise says why in `error`. */
export function submit(path: string, body: unknown, dialog: HTMLDialogElement, error: HTMLElement, onDone: () => void): void {
  void post(path, body).then(
    async (res) => {
      if (res.ok) {
        dialog.close();
        onDone();
        return;
      }
      const answer = (await res.json().catch(() => ({}))) as { error?: string };
      error.textContent = `Refused (${res.status}): ${answer.error ?? res.statusText}`;
      error.hidden = false;
    },
    () => {
      error.textContent = 'The daemon did not answer.';
      error.hidden = false;
    },
  );
}

function request(button: HTMLElement): { path: string; body: unknown } | undefined {
  const instance = encodeURIComponent(button.dataset.instance ?? '');
  switch (button.dataset.action) {
    case 'reload':
      return { path: '/v1/reload', body: {} };
    case 'maintenance':
      return { path: `/v1/instances/${instance}/maintenance`, body: { on: button.dataset.on === 'true' } };
    case 'garp':
      return { path: `/v1/instances/${instance}/garp`, body: {} };
    case 'backup-run':
      return { path: `/v1/backups/jobs/${encodeURIComponent(button.dataset.job ?? '')}/run`, body: {} };
    default:
      return undefined;
  }
}

/** Listens for clicks on any `.action` button, now or later rendered. */
export function wireActions(onDone: () => void): void {
  const dialog = document.getElementById('confirm') as HTMLDialogElement;
  const title = document.getElementById('confirm-title') as HTMLElement;
  const effect = document.getElementById('confirm-effect') as HTMLElement;
  const error = document.getElementById('confirm-error') as HTMLElement;
  let pending: { path: string; body: unknown } | undefined;

  document.addEventListener('click', (event) => {
    const button = (event.target as Element).closest<HTMLElement>('button.action');
    if (!button) return;
    pending = request(button);
    if (!pending) return;
    title.textContent = `${button.dataset.label ?? 'Confirm'}?`;
    effect.textContent = button.dataset.effect ?? '';
    error.hidden = true;
    dialog.showModal();
  });

  document.getElementById('confirm-ok')?.addEventListener('click', (event) => {
    event.preventDefault();
    const action = pending;
    if (!action) return dialog.close();
    submit(action.path, action.body, dialog, error, () => {
      pending = undefined;
      onDone();
    });
  });
}
