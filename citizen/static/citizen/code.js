// "Send me a code" on the follow page: asks /m/code for an SMS and says what happened.
(function () {
  "use strict";
  const button = document.getElementById("send-code");
  if (!button) return;
  const status = document.getElementById("code-status");
  const form = button.closest("form");
  button.addEventListener("click", () => {
    const body = new FormData();
    body.append("phone", document.querySelector(button.dataset.phone).value);
    fetch(button.dataset.url, {
      method: "POST", body, credentials: "same-origin",
      headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value, Accept: "application/json" },
    })
      .then((r) => r.json())
      .then((b) => { status.textContent = b.detail; status.className = b.ok ? "ok" : "err"; })
      .catch(() => { status.textContent = "…"; });
  });
})();
