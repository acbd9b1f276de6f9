// The call-taker's console: a call pops up from the seat's socket, the form suggests while typing
// (debounced, the previous request cancelled), and the keyboard does everything [CT-1].
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const t = JSON.parse($("console-i18n").textContent);
  const root = $("cc");
  const form = $("ticket-form");
  let call = null; // {call_id, caller, state}
  let suggestion = null;
  let pending = null; // AbortController of the suggestion in flight
  let timer = null;
  let pinMoved = false;
  let formKey = newKey();

  function newKey() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }
  function csrf() {
    const c = document.cookie.split("; ").find((x) => x.startsWith("csrftoken="));
    return c ? decodeURIComponent(c.split("=")[1]) : "";
  }
  function api(method, url, body, signal) {
    return fetch(url, {
      method,
      signal,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then((r) => r.json().catch(() => ({})).then((data) => ({ ok: r.ok, status: r.status, data })));
  }
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
    return e;
  }
  function fill(list, items) {
    list.replaceChildren(...(items.length ? items : [el("li", { class: "cc-muted" }, t.none)]));
  }
  function errorText(res) {
    const d = res.data || {};
    if (d.detail) return d.detail;
    return Object.entries(d).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(" ") : v}`).join("; ") || t.error;
  }
  function showResult(text, kind) {
    const box = $("result");
    box.hidden = false;
    box.dataset.kind = kind;
    box.textContent = text;
    box.scrollIntoView({ block: "nearest" });
  }

  // -- the map: our own base map (the grid's county outlines), a draggable pin --
  const map = L.map("cc-map", { zoomSnap: 0.25, attributionControl: false }).setView([33.76, 113.19], 9);
  if (root.dataset.tileUrl) L.tileLayer(root.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  window.addEventListener("load", () => map.invalidateSize());
  fetch("/api/grid/areas/?level=county&simplify=0.0008").then((r) => r.json()).then((fc) => {
    L.geoJSON(fc, { style: { color: "#5b6b7f", weight: 1, fillColor: "#e8eef5", fillOpacity: 0.6 }, interactive: false }).addTo(map);
  }).catch(() => {});
  const pin = L.marker([33.76, 113.19], { draggable: true, keyboard: true, title: t.pin });
  pin.on("dragend", () => {
    const p = pin.getLatLng();
    $("f-lon").value = p.lng.toFixed(6);
    $("f-lat").value = p.lat.toFixed(6);
    pinMoved = true;
    scheduleSuggest(0);
  });
  function placePin(lon, lat, zoom) {
    pin.setLatLng([lat, lon]);
    if (!map.hasLayer(pin)) pin.addTo(map);
    map.setView([lat, lon], zoom || 15);
    $("f-lon").value = lon;
    $("f-lat").value = lat;
  }

  // -- the call --
  function popCall(ev) {
    const fresh = !call || call.call_id !== ev.call_id;
    call = { call_id: ev.call_id, caller: ev.caller, state: ev.state };
    $("call-none").hidden = true;
    $("call-box").hidden = false;
    $("call-caller").textContent = ev.caller;
    $("call-state").textContent = t[ev.state] || ev.state;
    $("call-state").dataset.state = ev.state;
    $("call-id").textContent = ev.call_id + (ev.leader ? " · [CT-4]" : "");
    if (fresh) {
      resetForm();
      $("f-call").value = ev.call_id;
      $("f-phone").value = ev.caller;
      loadHistory(ev.caller);
      $("f-description").focus();
    }
  }
  function loadHistory(phone) {
    if (!phone) return;
    api("GET", `/api/console/caller?phone=${encodeURIComponent(phone)}`).then((res) => {
      if (!res.ok) return;
      $("call-repeat").hidden = !res.data.repeat;
      $("call-repeat-why").textContent = t[res.data.repeat_why] || "";
      fill($("history"), res.data.tickets.map((tk) => el("li", { class: tk.open ? "open" : "done" },
        el("b", {}, tk.number), " ", el("span", { class: "cc-tag" }, tk.status_label), " ", tk.category, el("br"),
        el("span", { class: "cc-muted" }, tk.received_at.slice(0, 10), " ", tk.place), " ", tk.description, el("br"),
        el("button", { type: "button", class: "cc-small", onclick: () => callOut(tk.number, "caller") }, t.call_out),
        " ",
        el("button", { type: "button", class: "cc-small", onclick: () => callOut(tk.number, "unit") }, t.call_unit))));
    });
  }
  function loadCalls() {
    api("GET", "/api/console/calls/").then((res) => {
      if (!res.ok) return;
      fill($("my-calls"), res.data.slice(0, 8).map((c) => el("li", {},
        `${c.rang_at.slice(11, 16)} ${c.direction === "in" ? c.caller : "→ " + c.callee} `,
        el("span", { class: "cc-tag" }, t[c.state] || c.state),
        c.talk_seconds != null ? ` ${c.talk_seconds}s` : "",
        c.transferred_to ? ` → ${c.transferred_to}` : "",
        c.tickets.length ? " · " + c.tickets.map((x) => x.number).join(", ") : "")));
    });
  }

  // -- suggestions while typing --
  function scheduleSuggest(delay) {
    clearTimeout(timer);
    timer = setTimeout(runSuggest, delay == null ? 300 : delay);
  }
  function runSuggest() {
    const text = $("f-description").value.trim();
    if (text.length < 4) return;
    if (pending) pending.abort();
    pending = new AbortController();
    const body = { text, address: $("f-address").value.trim(), caller: $("f-phone").value.trim() };
    if (pinMoved && $("f-lon").value) {
      body.lon = parseFloat($("f-lon").value);
      body.lat = parseFloat($("f-lat").value);
    }
    $("sg-state").textContent = t.loading;
    api("POST", "/api/intake/suggest", body, pending.signal).then((res) => {
      $("sg-state").textContent = "";
      if (res.ok) showSuggestion(res.data);
    }).catch((e) => { if (e.name !== "AbortError") $("sg-state").textContent = t.error; });
  }
  function showSuggestion(s) {
    suggestion = s;
    const alts = $("cat-alts");
    alts.replaceChildren(...s.categories.map((c, i) => el("button", {
      type: "button", class: "cc-alt", "data-code": c.code,
      onclick: () => chooseCategory(i),
    }, `Alt+${i + 1} ${c.top}/${c.name} ${(c.score * 100).toFixed(0)}%`)));
    if (s.categories.length && !$("f-category").dataset.chosen) $("f-category").value = s.categories[0].code;
    const route = $("sg-route");
    if (s.route && s.route.units.length) {
      route.replaceChildren(el("b", {}, `${t.unit}: `), ...s.route.units.map((u) =>
        el("div", {}, el("b", {}, `${u.office} (${t[u.role] || u.role})`), " ", el("span", { class: "cc-muted" }, u.why), " ",
          el("button", { type: "button", class: "cc-small", onclick: () => threeWay(u.code) }, t.three_way))));
    } else if (s.route) {
      route.replaceChildren(el("span", { class: "cc-muted" }, `${t.queued}: ${s.route.queue_reason}`));
    } else route.replaceChildren();
    const ref = $("sg-referral");
    ref.hidden = !s.referral;
    if (s.referral) {
      ref.replaceChildren(el("b", {}, s.referral.label), " — ", s.referral.referral, " ",
        el("span", { class: "cc-muted" }, `「${s.referral.trigger}」 ${t.confirm_refusal}`), el("br"),
        ...s.referral.transfer.map((line, i) => el("button", { type: "button", class: i === 0 ? "danger" : "", onclick: () => transfer(line.line) },
          `${t.transfer} ${line.label}${i === 0 ? " (Alt+T)" : ""}`)));
    }
    fill($("sg-similar"), s.similar.map((tk, i) => el("li", {},
      el("b", {}, tk.number), " ", el("span", { class: "cc-tag" }, tk.status_label), " ", tk.category,
      tk.same_category && tk.same_community ? " ★" : "", el("br"),
      el("span", { class: "cc-muted" }, tk.place), " ", tk.description, " ",
      el("button", { type: "button", class: "cc-link", "data-number": tk.number, onclick: () => link(tk.number) },
        `${t.link}${i === 0 ? " (Alt+L)" : ""}`))));
    fill($("sg-knowledge"), s.knowledge.map((k) => el("li", {}, el("b", {}, k.question), " ", k.answer, " ",
      el("button", { type: "button", onclick: () => { $("f-kind").value = "consultation"; submit(); } }, t.use_answer))));
    const place = s.place;
    $("sg-place").textContent = place ? `${place.area || place.label || ""} · ${place.precision} ${Math.round((place.confidence || 0) * 100)}%` : "";
    if (place && place.point && !pinMoved) placePin(place.point[0], place.point[1], place.precision === "township" ? 13 : 16);
    fill($("sg-cands"), (place && place.candidates || []).map((c) => el("li", {},
      el("button", { type: "button", onclick: () => { placePin(c.point[0], c.point[1], 16); pinMoved = true; scheduleSuggest(0); } },
        `${c.label} · ${c.precision}`))));
  }
  function chooseCategory(i) {
    if (!suggestion || !suggestion.categories[i]) return;
    $("f-category").value = suggestion.categories[i].code;
    $("f-category").dataset.chosen = "1";
  }

  // -- what the call-taker does --
  function formBody() {
    const body = {};
    for (const name of ["description", "caller_phone", "caller_name", "address", "kind", "urgency", "category", "province_number", "call_id"]) {
      body[name] = form.elements[name].value.trim();
    }
    // The pin's point places the ticket: the suggested place, or where the call-taker dragged it.
    if ($("f-lon").value) {
      body.lon = parseFloat($("f-lon").value);
      body.lat = parseFloat($("f-lat").value);
    }
    if (!body.address && suggestion && suggestion.place) {
      // the street address the caller gave, when the geocoder found one, after the area's names (once)
      const cands = suggestion.place.candidates || [];
      const best = cands.find((c) => c.precision === "address") || cands[0];
      const area = suggestion.place.area || "";
      const label = best && best.label && !area.endsWith(best.label) ? best.label : "";
      body.address = [area, label].filter(Boolean).join(" ").slice(0, 300);
    }
    body.idempotency_key = formKey;
    return body;
  }
  function submit() {
    $("btn-dispatch").disabled = true;
    api("POST", "/api/console/tickets", formBody()).then((res) => {
      $("btn-dispatch").disabled = false;
      if (!res.ok) return showResult(errorText(res), "error");
      const d = res.data;
      const units = d.units.map((u) => u.office).join("、");
      showResult(`${t.taken}: ${d.number} · ${d.status_label}${units ? " → " + units : ""}${d.answer ? " · " + d.answer : ""}${d.referral ? " · " + d.referral : ""}`, "ok");
      $("result").dataset.number = d.number;
      formKey = newKey();
      loadHistory($("f-phone").value.trim());
      loadCalls();
    });
  }
  function link(number) {
    if (!call) return showResult(t.no_call, "error");
    api("POST", `/api/console/calls/${encodeURIComponent(call.call_id)}/link`, { ticket: number }).then((res) => {
      if (!res.ok) return showResult(errorText(res), "error");
      showResult(`${t.linked} ${res.data.ticket}`, "ok");
      $("result").dataset.number = res.data.ticket;
      loadHistory(call.caller);
      loadCalls();
    });
  }
  function transfer(line) {
    if (!call) return showResult(t.no_call, "error");
    api("POST", `/api/console/calls/${encodeURIComponent(call.call_id)}/transfer`, { line, note: $("f-description").value.slice(0, 200) })
      .then((res) => showResult(res.ok ? `${t.transferred} ${res.data.transferred_to}` : errorText(res), res.ok ? "ok" : "error"))
      .then(loadCalls);
  }
  // [CT-1][CT-3] click-to-call from a ticket, and a unit brought into the call on its fixed number
  // [CT-3] the unit's three-fixed contact (number, person, hours); a warning outside its hours
  function contactText(c) {
    if (!c) return "";
    return ` · ${c.name} ${c.number}${c.person ? " · " + t.person + " " + c.person : ""}${c.hours ? " · " + c.hours : ""}`;
  }
  function placed(res, text) {
    if (!res.ok) return showResult(errorText(res), "error");
    const c = res.data.contact;
    showResult(`${text}${contactText(c)}${c && c.warning ? " ⚠ " + c.warning : ""}`, c && c.warning ? "warn" : "ok");
  }
  function callOut(number, target) {
    api("POST", "/api/console/outbound", { ticket: number, target })
      .then((res) => placed(res, `${t.calling} ${number}`))
      .then(loadCalls);
  }
  function threeWay(office) {
    if (!call) return showResult(t.no_call, "error");
    api("POST", `/api/console/calls/${encodeURIComponent(call.call_id)}/three-way`, { office })
      .then((res) => placed(res, t.three_way_requested));
  }
  function saveDraft() {
    if (!call) return;
    const draft = {};
    for (const [k, v] of Object.entries(formBody())) if (v !== undefined && k !== "idempotency_key") draft[k] = String(v);
    api("PUT", `/api/console/calls/${encodeURIComponent(call.call_id)}/draft`, { draft }).then((res) => {
      $("draft-state").textContent = res.ok ? `${t.draft_saved} ${new Date().toLocaleTimeString()}` : errorText(res);
    });
  }
  function resetForm() {
    form.reset();
    for (const id of ["f-lon", "f-lat", "f-call"]) $(id).value = ""; // hidden inputs keep their value on reset
    if (map.hasLayer(pin)) pin.remove();
    $("f-category").dataset.chosen = "";
    $("result").hidden = true;
    $("draft-state").textContent = "";
    $("cat-alts").replaceChildren();
    pinMoved = false;
    formKey = newKey();
    suggestion = null;
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); submit(); });
  $("btn-draft").addEventListener("click", saveDraft);
  $("f-description").addEventListener("input", () => scheduleSuggest());
  $("f-address").addEventListener("input", () => { pinMoved = false; scheduleSuggest(); });
  $("f-category").addEventListener("change", () => { $("f-category").dataset.chosen = "1"; });
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); submit(); }
    else if ((e.ctrlKey || e.metaKey) && (e.key === "s" || e.key === "S")) { e.preventDefault(); saveDraft(); }
    else if (e.altKey && ["1", "2", "3"].includes(e.key)) { e.preventDefault(); chooseCategory(Number(e.key) - 1); }
    else if (e.altKey && (e.key === "l" || e.key === "L")) {
      e.preventDefault();
      if (suggestion && suggestion.similar.length) link(suggestion.similar[0].number);
    } else if (e.altKey && (e.key === "t" || e.key === "T")) {
      e.preventDefault();
      if (suggestion && suggestion.referral && suggestion.referral.transfer.length) transfer(suggestion.referral.transfer[0].line);
    }
  });

  // Categories for the select, from dispatch's tree.
  fetch("/api/categories/").then((r) => r.json()).then((tree) => {
    const sel = $("f-category");
    for (const top of tree) {
      const group = el("optgroup", { label: top.name });
      for (const c of top.children || []) group.append(el("option", { value: c.code }, c.name));
      sel.append(group);
    }
  });

  // -- the wall's figures --
  function loadWall() {
    api("GET", "/api/console/wall").then((res) => {
      if (!res.ok) return;
      const w = res.data;
      $("w-waiting").textContent = w.waiting;
      $("w-answered").textContent = w.answered_today;
      $("w-rate").textContent = w.answer_rate == null ? "–" : `${(w.answer_rate * 100).toFixed(1)}%`;
      $("w-agents").textContent = w.agents_on_seat;
      $("w-leader").hidden = !w.leader_on_line;
    });
  }
  // [CT-4] the coming leaders' answering days: book the caller on the line with what they said
  function loadLeaderDays() {
    api("GET", "/api/console/leader-days/").then((res) => {
      if (!res.ok) return;
      fill($("leader-days"), res.data.map((d) => el("li", {},
        `${d.day} ${d.kind === "leader" ? "" : d.kind_label + " · "}${d.leader} · ${d.topics} (${d.bookings}) `,
        el("button", { type: "button", class: "cc-small", onclick: () => book(d) }, t.book))));
    });
  }
  function book(d) {
    const phone = $("f-phone").value.trim();
    const topic = $("f-description").value.trim().slice(0, 200);
    api("POST", `/api/console/leader-days/${d.id}/bookings`, { caller_phone: phone, caller_name: $("f-name").value.trim(), topic })
      .then((res) => showResult(res.ok ? `${t.booked} ${d.day} ${d.leader}` : errorText(res), res.ok ? "ok" : "error"))
      .then(loadLeaderDays);
  }
  loadWall();
  loadCalls();
  loadLeaderDays();
  setInterval(loadWall, 15000);

  // -- the seat's socket --
  let backoff = 500;
  function connect() {
    if (!root.dataset.extension) return;
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/console/`);
    const conn = $("cc-conn");
    ws.onopen = () => { backoff = 500; conn.dataset.state = "open"; conn.textContent = `${t.connected} · ${root.dataset.extension}`; loadWall(); };
    ws.onclose = () => {
      conn.dataset.state = "closed";
      conn.textContent = t.reconnecting;
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
    ws.onmessage = (m) => {
      const ev = JSON.parse(m.data);
      if (!ev.type || !ev.type.startsWith("call.")) return;
      window.__lastCallEvent = { ...ev, received: Date.now() / 1000 };
      if (ev.direction === "in" || !call) popCall(ev);
      if (ev.type === "call.hangup" || ev.type === "call.recording") loadCalls();
      loadWall();
    };
  }
  connect();
})();
