/**
 * The Backups section's module: refreshes the job tiles (server-rendered, /ui/fragments/backups)
 * with their progress and ETA, and lets the operator browse a job's snapshots and their trees,
 * download a file, and (admin) restore a file or directory to a path on this node after a
 * confirmation that states where it goes. Everything shown comes from /v1/backups; nothing
 * received is inserted as markup except the server's escaped fragment.
 */
import { submit } from './actions.js';
import { Freshness } from './freshness.js';

const REFRESH_MS = 2000;
const tiles = document.getElementById('backup-tiles') as HTMLElement;
const panel = document.getElementById('backup-browser') as HTMLElement;
const title = document.getElementById('browser-title') as HTMLElement;
const list = document.getElementById('snapshot-list') as HTMLOListElement;
const crumbs = document.getElementById('tree-path') as HTMLElement;
const table = document.getElementById('tree') as HTMLTableElement;
const dialog = document.getElementById('restore-dialog') as HTMLDialogElement;
const freshness = new Freshness();
const admin = document.body.dataset.role === 'admin';

interface Snapshot {
  id: string;
  time: string;
  hostname: string;
  paths: string[];
}
interface Entry {
  name: string;
  path: string;
  type: string;
  size?: number;
  mtime: string;
}

let current: { job: string; repo: number; snapshot?: string } | undefined;
let pendingRestore: { job: string; repo: number; snapshot: string; path: string } | undefined;

const api = (job: string) => `/v1/backups/jobs/${encodeURIComponent(job)}`;

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, attrs: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function showError(where: HTMLElement, message: string): void {
  where.replaceChildren(el('p', message, { class: 'error' }));
}

async function refreshTiles(): Promise<void> {
  try {
    const res = await fetch('/ui/fragments/backups', { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) return;
    tiles.innerHTML = await res.text();
    for (const tile of tiles.querySelectorAll('.tile')) freshness.mark(tile);
  } catch {
    // the ages keep counting; the page's stream state says the rest
  }
}

async function showSnapshots(job: string, repo: number, repoName: string): Promise<void> {
  current = { job, repo };
  panel.hidden = false;
  title.textContent = `Snapshots of ${job} in ${repoName}`;
  table.hidden = true;
  crumbs.replaceChildren();
  list.replaceChildren(el('li', 'loading…'));
  try {
    const { snapshots } = await getJson<{ snapshots: Snapshot[] }>(`${api(job)}/snapshots?repo=${repo}`);
    list.replaceChildren(
      ...(snapshots.length === 0 ? [el('li', 'no snapshots yet')] : []),
      ...[...snapshots].reverse().map((s) => {
        const li = el('li');
        li.append(el('button', `${s.id.slice(0, 8)}`, { type: 'button', class: 'snapshot', 'data-snapshot': s.id }), ` ${s.time.replace('T', ' ').slice(0, 19)} from ${s.hostname}: ${s.paths.join(' ')}`);
        return li;
      }),
    );
  } catch (err) {
    showError(list, `Cannot list the snapshots: ${(err as Error).message}`);
  }
}

const size = (n: number | undefined) => (n === undefined ? '' : n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);

async function showTree(snapshot: string, path: string): Promise<void> {
  if (!current) return;
  const { job, repo } = current;
  current.snapshot = snapshot;
  const body = table.tBodies[0] as HTMLTableSectionElement;
  try {
    const tree = await getJson<{ entries: Entry[] }>(`${api(job)}/snapshots/${snapshot}/tree?repo=${repo}&path=${encodeURIComponent(path)}`);
    crumbs.replaceChildren();
    const parts = path.split('/').filter((p) => p !== '');
    const root = el('button', `${snapshot.slice(0, 8)}:/`, { type: 'button', class: 'crumb', 'data-path': '/' });
    crumbs.append(root);
    parts.forEach((p, i) => crumbs.append(' ', el('button', `${p}/`, { type: 'button', class: 'crumb', 'data-path': `/${parts.slice(0, i + 1).join('/')}` })));
    body.replaceChildren(
      ...tree.entries.map((e) => {
        const tr = el('tr', undefined, { 'data-path': e.path, 'data-type': e.type });
        const name = el('td');
        if (e.type === 'dir') name.append(el('button', `${e.name}/`, { type: 'button', class: 'open-dir', 'data-path': e.path }));
        else name.textContent = e.name;
        const actions = el('td');
        if (e.type === 'file') {
          actions.append(el('a', 'Download', { href: `${api(job)}/snapshots/${snapshot}/file?repo=${repo}&path=${encodeURIComponent(e.path)}`, download: e.name, class: 'download' }), ' ');
        }
        if (admin && (e.type === 'file' || e.type === 'dir')) actions.append(el('button', 'Restore…', { type: 'button', class: 'restore', 'data-path': e.path }));
        tr.append(name, el('td', e.type), el('td', size(e.size)), el('td', e.mtime.replace('T', ' ').slice(0, 19)), actions);
        return tr;
      }),
    );
    table.hidden = false;
  } catch (err) {
    showError(crumbs, `Cannot read the tree: ${(err as Error).message}`);
  }
}

function openRestore(path: string): void {
  if (!current?.snapshot) return;
  pendingRestore = { job: current.job, repo: current.repo, snapshot: current.snapshot, path };
  (document.getElementById('restore-title') as HTMLElement).textContent = `Restore ${path}?`;
  (document.getElementById('restore-effect') as HTMLElement).textContent =
    `Writes ${path} from snapshot ${current.snapshot.slice(0, 8)} of job ${current.job} below the directory you give, on this node (the daemon's host), as the daemon's user. An existing file of the same name is not overwritten: the restore fails instead.`;
  (document.getElementById('restore-error') as HTMLElement).hidden = true;
  dialog.showModal();
}

document.addEventListener('click', (event) => {
  const target = event.target as Element;
  const browse = target.closest<HTMLElement>('button.browse');
  if (browse) return void showSnapshots(browse.dataset.job ?? '', Number(browse.dataset.repo ?? 0), browse.textContent ?? '');
  const snap = target.closest<HTMLElement>('button.snapshot');
  if (snap) return void showTree(snap.dataset.snapshot ?? '', '/');
  const dir = target.closest<HTMLElement>('button.open-dir, button.crumb');
  if (dir && current?.snapshot) return void showTree(current.snapshot, dir.dataset.path ?? '/');
  const restore = target.closest<HTMLElement>('button.restore');
  if (restore) openRestore(restore.dataset.path ?? '/');
});

document.getElementById('restore-ok')?.addEventListener('click', (event) => {
  event.preventDefault();
  const input = document.getElementById('restore-target') as HTMLInputElement;
  const error = document.getElementById('restore-error') as HTMLElement;
  const r = pendingRestore;
  if (!r) return dialog.close();
  if (!input.value.startsWith('/')) {
    error.textContent = 'Give an absolute directory, like /var/tmp/restore';
    error.hidden = false;
    return;
  }
  submit(`${api(r.job)}/restore`, { repo: r.repo, snapshot: r.snapshot, path: r.path, target: input.value }, dialog, error, () => {
    pendingRestore = undefined;
    void refreshTiles();
  });
});

for (const tile of tiles.querySelectorAll('.tile')) freshness.mark(tile);
setInterval(() => freshness.tick(), 1000);
setInterval(() => void refreshTiles(), REFRESH_MS);
