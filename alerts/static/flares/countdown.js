// Counts down to each flare's 2-hour report deadline [AN-1]: <span class="countdown" data-due="ISO">.
(function () {
  "use strict";
  const late = document.documentElement.dataset.lateLabel || "overdue";
  function fmt(ms) {
    const s = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
  }
  function tick() {
    document.querySelectorAll(".countdown[data-due]").forEach((el) => {
      const left = Date.parse(el.dataset.due) - Date.now();
      el.textContent = left >= 0 ? fmt(left) : `${el.dataset.late || late} ${fmt(left)}`;
      el.classList.toggle("late", left < 0);
    });
  }
  tick();
  setInterval(tick, 1000);
})();
