// A form is sent once: a second click while it is on its way does nothing, and its buttons say so.
// (The server records a form once anyway, by its once-only token: infohub.idempotency.)
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.querySelector('input[name="once"]')) return;
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "1";
  // After this tick: the form's data (with the button that was clicked) is already taken.
  setTimeout(() => form.querySelectorAll("button, input[type=submit]").forEach((button) => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }), 0);
});
// Back to a page kept by the browser: its forms can be sent again.
window.addEventListener("pageshow", () => document.querySelectorAll("form[data-sending]").forEach((form) => {
  delete form.dataset.sending;
  form.querySelectorAll("[aria-busy]").forEach((button) => {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  });
}));
