// A form is sent once: a second click while it is on its way does nothing, and its buttons say so.
// (The server records a form once anyway, by its once-only token: infohub.idempotency.)
//
// The token belongs to the form as it was shown. Back to a form already sent shows the same form again, but a
// browser that asks the server for the page again (no back/forward cache: Cache-Control, memory, a test browser)
// gets a new token with it, and sending it again would record twice. So the token sent is kept in this history
// entry's state (which the browser keeps for the entry, whatever it does with the page) and put back into the
// form when the entry is shown again: the server then answers with what the first sending did.

const ONCE = 'input[name="once"]';

// One key per form of a page: where it is sent, and which of the forms sent there it is.
function formKey(form) {
  const action = form.action || location.href;
  const same = Array.from(document.querySelectorAll("form")).filter((other) => (other.action || location.href) === action);
  return `${(form.method || "get").toLowerCase()} ${action} ${same.indexOf(form)}`;
}

function sentTokens() {
  const state = history.state;
  return state && typeof state === "object" && state.infohubOnce && typeof state.infohubOnce === "object"
    ? state.infohubOnce : {};
}

function rememberSent(form, token) {
  try {
    const state = history.state && typeof history.state === "object" ? history.state : {};
    history.replaceState({ ...state, infohubOnce: { ...sentTokens(), [formKey(form)]: token } }, "");
  } catch (error) {
    // A browser refusing the state (size, privacy mode) loses only this safeguard, never the form.
  }
}

function restoreSent() {
  const sent = sentTokens();
  document.querySelectorAll("form").forEach((form) => {
    const field = form.querySelector(ONCE);
    const token = sent[formKey(form)];
    if (field && token) field.value = token;
  });
}

restoreSent();

document.addEventListener("submit", (event) => {
  const form = event.target;
  const field = form.querySelector(ONCE);
  if (!field) return;
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "1";
  rememberSent(form, field.value);
  // After this tick: the form's data (with the button that was clicked) is already taken.
  setTimeout(() => form.querySelectorAll("button, input[type=submit]").forEach((button) => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }), 0);
});
// Back to a page kept by the browser: its forms can be sent again (with the token they were sent with).
window.addEventListener("pageshow", () => {
  restoreSent();
  document.querySelectorAll("form[data-sending]").forEach((form) => {
    delete form.dataset.sending;
    form.querySelectorAll("[aria-busy]").forEach((button) => {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  });
});
