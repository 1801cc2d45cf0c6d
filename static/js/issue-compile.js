// The compile page: drag an item by its handle to a new place; the whole order is sent at once (the arrows and
// the server-side page work without this script).
(function () {
  const list = document.querySelector("[data-order-url]");
  if (!list) return;
  const csrf = (document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1] ||
    (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  let dragged = null;

  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest(".entry");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.entry);
  });
  list.addEventListener("dragover", (event) => {
    const over = event.target.closest(".entry");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    list.querySelectorAll(".drop-target").forEach((el) => el.classList.remove("drop-target"));
    over.classList.add("drop-target");
  });
  list.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    list.querySelectorAll(".drop-target").forEach((el) => el.classList.remove("drop-target"));
    dragged = null;
  });
  list.addEventListener("drop", (event) => {
    const over = event.target.closest(".entry");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    const entries = [...list.querySelectorAll(".entry")];
    const before = entries.indexOf(over) < entries.indexOf(dragged);
    list.insertBefore(dragged, before ? over : over.nextSibling);
    save();
  });

  function save() {
    const body = new URLSearchParams();
    list.querySelectorAll(".entry").forEach((el) => body.append("entries", el.dataset.entry));
    body.append("revision", (document.querySelector("[data-revision]") || {}).value || "");
    fetch(list.dataset.orderUrl, {
      method: "POST", body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf, "Accept": "application/json"},
    }).then((response) => response.json().then((data) => ({ok: response.ok, data})))
      .then(({ok, data}) => {
        if (!ok) { alert(data.detail || "保存顺序失败"); window.location.reload(); return; }
        // Every form of the page now carries the new revision.
        document.querySelectorAll("[data-revision]").forEach((input) => { input.value = data.revision; });
      })
      .catch(() => window.location.reload());
  }
})();
