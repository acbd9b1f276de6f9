/* The hotspot register: "open supervision case" posts the note and reloads (a static file: the site's CSP
   refuses inline scripts). */
"use strict";
document.querySelectorAll("form.open-case").forEach((form) => form.addEventListener("submit", (e) => {
  e.preventDefault();
  const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  fetch(form.dataset.url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.split("=")[1] : "" },
    body: JSON.stringify({ note: form.note.value }) }).then((r) => { if (r.ok) location.reload(); else r.json().then((b) => alert(JSON.stringify(b))); });
}));
