// The urgent queue: a countdown per row ticking every second, rows turning red when their time is up,
// and a visible and audible alert for emergencies that are new since the last look or just went overdue.
// The server stays the source of truth: htmx replaces the rows every few seconds.
(function () {
  "use strict";
  const SEEN_KEY = "infohub.queue.seen-events";
  const SOUND_KEY = "infohub.queue.sound";
  const SOON_MS = 15 * 60 * 1000;  // a countdown under a quarter of an hour turns amber
  let audio = null;

  function labels() {
    const rows = document.getElementById("queue-rows");
    return rows ? JSON.parse(rows.dataset.labels) : {};
  }

  function format(ms) {
    const total = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    const text = (h ? h + ":" : "") + String(m).padStart(h ? 2 : 1, "0") + ":" + String(s).padStart(2, "0");
    return ms < 0 ? "−" + text : text;
  }

  function soundHint(show) {
    const hint = document.querySelector("[data-sound-hint]");
    if (hint) hint.hidden = !show;
  }

  function beep() {
    if (localStorage.getItem(SOUND_KEY) !== "on") return;
    try {
      audio = audio || new AudioContext();
      // A page opened without a click (a wall screen started at boot) may not play sound until someone clicks.
      if (audio.state === "suspended") audio.resume().catch(function () {});
      soundHint(audio.state === "suspended");
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.4);
    } catch (e) { /* no audio device: the visible alert remains */ }
  }

  function alertBanner(text) {
    const banner = document.querySelector("[data-alert-banner]");
    if (!banner) return;
    banner.textContent = text;
    banner.hidden = false;
    beep();
  }

  // "新的突发事件（2）" on a Chinese page, "New emergency (2)" on an English one: the brackets come with the labels.
  function counted(label, n) {
    const l = labels();
    return label + (l.lp || " (") + n + (l.rp || ")");
  }

  function tick() {
    const now = Date.now();
    let turnedOverdue = 0;
    document.querySelectorAll("tr[data-due]").forEach(function (row) {
      const left = Number(row.dataset.due) * 1000 - now;  // the due time in epoch seconds
      const cell = row.querySelector("[data-countdown]");
      if (cell && !row.classList.contains("state-breached")) cell.textContent = format(left);
      if (cell) cell.classList.toggle("soon", left > 0 && left < SOON_MS);
      const overdue = left <= 0 || row.classList.contains("state-breached");
      if (overdue && !row.classList.contains("overdue")) {
        row.classList.add("overdue");
        if (row.dataset.wasRunning) turnedOverdue += 1;
      }
      row.dataset.wasRunning = overdue ? "" : "1";
    });
    if (turnedOverdue) alertBanner(counted(labels().late, turnedOverdue));
  }

  // What is new is an emergency (or a chase) not seen before, not a clock: the written report owed after a phone
  // report is a new clock of an emergency already in the queue (data-event names the emergency).
  function markNew() {
    const seen = new Set(JSON.parse(sessionStorage.getItem(SEEN_KEY) || "[]"));
    const first = seen.size === 0 && !sessionStorage.getItem(SEEN_KEY);
    const fresh = [];
    document.querySelectorAll("tr[data-clock]").forEach(function (row) {
      const event = row.dataset.event || row.dataset.clock;
      if (!seen.has(event)) {
        fresh.push(row);
        seen.add(event);
      }
    });
    sessionStorage.setItem(SEEN_KEY, JSON.stringify(Array.from(seen)));
    if (first) return;  // the first look at the queue is not "new"
    fresh.forEach(function (row) { row.classList.add("new"); });
    if (fresh.length) alertBanner(counted(labels().new, fresh.length));
  }

  function soundButton() {
    const button = document.querySelector("[data-sound-toggle]");
    if (!button) return;
    const paint = function () {
      const on = localStorage.getItem(SOUND_KEY) === "on";
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? labels().on : labels().off;
    };
    button.addEventListener("click", function () {
      localStorage.setItem(SOUND_KEY, localStorage.getItem(SOUND_KEY) === "on" ? "off" : "on");
      paint();
      beep();  // a click is the user gesture browsers want before they play sound
    });
    paint();
  }

  // The wall screen's clock, in the site's time zone whatever the machine's.
  function wallClock() {
    const clock = document.querySelector("[data-wall-clock]");
    if (!clock) return;
    const format = new Intl.DateTimeFormat("zh-CN", {
      timeZone: clock.dataset.timeZone || undefined, hour: "2-digit", minute: "2-digit", second: "2-digit",
      hourCycle: "h23"});
    const paint = function () { clock.textContent = format.format(new Date()); };
    paint();
    setInterval(paint, 1000);
  }

  function fullscreenButton() {
    const button = document.querySelector("[data-fullscreen]");
    if (!button) return;
    button.hidden = !document.fullscreenEnabled;
    button.addEventListener("click", function () {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen().catch(function () {});
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.getElementById("queue-rows")) return;
    soundButton();
    wallClock();
    fullscreenButton();
    // Any click on the page lets a held-back sound play (browsers' autoplay rule).
    document.addEventListener("click", function () {
      if (audio && audio.state === "suspended") audio.resume().then(function () { soundHint(false); });
    });
    markNew();
    tick();
    setInterval(tick, 1000);
    document.body.addEventListener("htmx:afterSwap", function () { markNew(); tick(); });
  });
})();
