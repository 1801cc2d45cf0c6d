// Live countdowns wherever someone can move an emergency on (sign-off list and page, hop page, forwarding list,
// start page, item list): every [data-countdown][data-due] (the due time in epoch seconds) shows the time left,
// ticking each second, and turns overdue when it runs out. The urgent queue has its own (urgent-queue.js).
(function () {
  "use strict";

  function format(ms) {
    const total = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    return (h ? h + ":" : "") + String(m).padStart(h ? 2 : 1, "0") + ":" + String(s).padStart(2, "0");
  }

  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-countdown][data-due]").forEach(function (el) {
      const left = Number(el.dataset.due) * 1000 - now;
      const words = el.dataset.left || "", late = el.dataset.late || "";
      const text = left > 0 ? words.replace("{t}", format(left)) : late.replace("{t}", format(left));
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle("overdue", left <= 0);
      el.classList.toggle("soon", left > 0 && left <= 30 * 60 * 1000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    document.body.addEventListener("htmx:afterSwap", tick);
  });
})();
