// Community links move on without a page reload. A button in the links section posts its form with fetch, asking
// for the section on its own (the X-App-Fragment header); the answer replaces the section, the change is said in
// its status region, and focus goes to the row of the link that changed. Without this script the same forms post
// and the page comes back with a banner (POST, redirect, GET), so nothing depends on it.

const SECTION = "[data-app-links]";

function say(section) {
  const status = section.querySelector("[data-app-links-status]");
  const message = section.dataset.appLinksMessage;
  if (!status || !message) return;
  const line = document.createElement("p");
  line.className = section.hasAttribute("data-app-links-error") ? "nhsuk-error-message" : "app-links__said";
  line.textContent = message;
  // Set after the region is in the page, so that screen readers announce it.
  window.setTimeout(() => status.replaceChildren(line), 50);
}

function focusAfter(section) {
  const row = section.dataset.appLinksFocus && section.querySelector(`#${section.dataset.appLinksFocus}`);
  const target = (row && (row.querySelector("button") || row.querySelector("a"))) || section.querySelector("h2");
  if (!target) return;
  if (target.tagName === "H2") target.setAttribute("tabindex", "-1");
  target.focus();
}

async function submitted(event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches("[data-app-links-form]") || form.dataset.appPlain) return;
  event.preventDefault();
  const submitter = event.submitter;
  const body = new FormData(form, submitter);
  if (submitter) submitter.disabled = true;
  let html = null;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-App-Fragment": "links" },
    });
    if (response.ok) html = await response.text();
  } catch {
    html = null;
  }
  const fresh = html && new DOMParser().parseFromString(html, "text/html").querySelector(SECTION);
  const current = document.querySelector(SECTION);
  if (!fresh || !current) {
    // Something went wrong on the way: post the ordinary way instead.
    if (submitter) submitter.disabled = false;
    form.dataset.appPlain = "yes";
    form.requestSubmit(submitter);
    return;
  }
  current.replaceWith(fresh);
  say(fresh);
  focusAfter(fresh);
}

document.addEventListener("submit", submitted);
