// [CT-2] The console's ticket hand-over: the ticket just taken (or linked) goes to a linked system
// (110/119/120/122, a utility line) through POST /api/linkage/handovers, with the call it came from.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const box = $("handover");
  if (!box) return;
  function csrf() {
    const c = document.cookie.split("; ").find((x) => x.startsWith("csrftoken="));
    return c ? decodeURIComponent(c.split("=")[1]) : "";
  }
  function say(text, kind) {
    const out = $("handover-result");
    out.textContent = text;
    out.dataset.kind = kind;
  }
  function handOver() {
    const number = $("result").dataset.number;
    if (!number || $("result").hidden) return say(box.dataset.none, "error");
    $("btn-handover").disabled = true;
    fetch("/api/linkage/handovers", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ ticket: number, line: $("handover-line").value, note: $("handover-note").value.trim(), call_id: $("f-call").value }),
    }).then((r) => r.json().catch(() => ({})).then((d) => {
      $("btn-handover").disabled = false;
      if (!r.ok) return say(d.detail || Object.values(d).flat().join(" ") || box.dataset.error, "error");
      say(`${box.dataset.done} ${d.system} · ${number} · ${d.state_label}${d.their_reference ? ` · ${box.dataset.ref} ${d.their_reference}` : ""}`, "ok");
    }));
  }
  $("btn-handover").addEventListener("click", handOver);
  document.addEventListener("keydown", (e) => {
    if (e.altKey && (e.key === "h" || e.key === "H")) { e.preventDefault(); handOver(); }
  });
})();
