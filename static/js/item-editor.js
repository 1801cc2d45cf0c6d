// The item editor: live character count with a length warning, the category's writing guidance,
// and the emergency fields shown only for emergencies. Works without it; it only helps.
(function () {
  "use strict";
  const form = document.querySelector("form.item-form");
  if (!form) return;

  const warnAt = parseInt(form.dataset.warnLength || "300", 10);
  const body = form.querySelector("[data-char-count]");
  const counter = body && form.querySelector(`[data-counter-for="${body.id}"]`);
  function count() {
    if (!counter) return;
    const n = Array.from(body.value).length; // code points, so each Chinese character counts once
    counter.querySelector("[data-count]").textContent = n;
    const over = n > warnAt;
    counter.querySelector("[data-warn]").hidden = !over;
    counter.classList.toggle("over", over);
  }
  if (body) { body.addEventListener("input", count); count(); }

  const guidance = JSON.parse(document.getElementById("category-guidance").textContent);
  const category = form.querySelector("[data-guidance]");
  const box = form.querySelector("[data-guidance-box]");
  const block = form.querySelector("[data-emergency-block]");
  function onCategory() {
    box.textContent = guidance[category.value] || "";
    block.hidden = category.value !== form.dataset.emergency;
  }
  category.addEventListener("change", onCategory);
  onCategory();
})();
