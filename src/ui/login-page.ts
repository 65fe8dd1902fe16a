/**
 * The TCP listener's login page: a token in, a session cookie out (POST /ui/login, handled by
 * src/api/web-access.ts). The form is sent by browser/login.ts as JSON; no inline script.
 */
import { html, type Html } from './html.js';

export function renderLogin(node: string): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hotstandby · ${node} · log in</title>
<link rel="stylesheet" href="/ui/assets/style.css">
<script type="module" src="/ui/assets/login.js"></script>
</head>
<body class="login">
<main>
  <h1>hotstandby <span class="node">${node}</span></h1>
  <form id="login-form">
    <label for="token">Token (read or admin)</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required>
    <button type="submit">Log in</button>
    <p id="login-error" class="error" role="alert" hidden></p>
  </form>
</main>
</body>
</html>
`;
}
