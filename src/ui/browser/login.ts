/**
 * The login form: posts the token as JSON; the answer sets the session cookie.
 */
const form = document.getElementById('login-form') as HTMLFormElement;
const error = document.getElementById('login-error') as HTMLElement;

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = (document.getElementById('token') as HTMLInputElement).value;
  void fetch('/ui/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
    credentials: 'same-origin',
  }).then(
    async (res) => {
      if (res.ok) return location.assign('/ui/');
      const answer = (await res.json().catch(() => ({}))) as { error?: string };
      error.textContent = answer.error ?? `Refused (${res.status})`;
      error.hidden = false;
    },
    () => {
      error.textContent = 'The daemon did not answer.';
      error.hidden = false;
    },
  );
});
