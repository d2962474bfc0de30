// The JSON API, with the page's CSRF token: a failed answer throws an Error carrying the server's message.
import { csrfToken } from "./page.js";

export function api(url, options = {}) {
  const headers = { "X-CSRFToken": csrfToken, ...(options.body ? { "Content-Type": "application/json" } : {}) };
  return fetch(url, { credentials: "same-origin", ...options, headers }).then(async (response) => {
    const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
    return body;
  });
}

export const post = (url, body) => api(url, { method: "POST", body: JSON.stringify(body) });
