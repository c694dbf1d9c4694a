// Upload forms (form[data-upload-progress]) with a progress bar: progressive enhancement. Without JavaScript, or
// in a browser without what this needs, the form is sent as usual and works the same.
//
// With it, the form is sent with XMLHttpRequest so the bytes sent can be shown (a <progress> bar and a percentage).
// The server answers an accepted upload with JSON {"location": ...}, and the page goes there (where the success
// message is waiting). Any other answer is an HTML page (the form with the reason the file was refused, or an
// error page): its <main> replaces this page's, as a normal submit would have shown it. If the request itself
// fails (network), the form is sent again the ordinary way.
import { initAll } from "../build/govuk-frontend.min.js";

const supported = "upload" in XMLHttpRequest.prototype && "FormData" in window && "DOMParser" in window;

function showPage(html) {
  const page = new DOMParser().parseFromString(html, "text/html");
  const incoming = page.querySelector("main");
  const main = document.querySelector("main");
  if (!incoming || !main) {
    return false;
  }
  main.replaceChildren(...Array.from(incoming.childNodes, (node) => document.importNode(node, true)));
  document.title = page.title;
  window.scrollTo(0, 0);
  initAll(main); // the error summary moves focus to itself
  if (!main.querySelector(".govuk-error-summary")) {
    const heading = main.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }
  return true;
}

function send(form) {
  const panel = form.querySelector(".app-upload-progress");
  const bar = panel.querySelector("progress");
  const percentText = panel.querySelector(".app-upload-progress__percent");
  const status = panel.querySelector(".app-upload-progress__status");
  const button = form.querySelector("button[type=submit], input[type=submit]");
  const data = new FormData(form);
  const xhr = new XMLHttpRequest();
  let announced = -1;

  const show = (percent) => {
    bar.value = percent;
    percentText.textContent = `${percent}%`;
    // Said aloud in steps of 25% only: a screen reader reading every percent would drown everything else.
    const step = Math.floor(percent / 25) * 25;
    if (step !== announced) {
      announced = step;
      status.textContent = `${step}% uploaded`;
    }
  };
  const fallBack = () => {
    panel.hidden = true;
    if (button) {
      button.disabled = false;
    }
    form.submit(); // the ordinary way: no submit event, so not back here
  };

  xhr.open("POST", form.action);
  xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
  xhr.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) {
      show(Math.min(100, Math.floor((event.loaded * 100) / event.total)));
    }
  });
  xhr.upload.addEventListener("load", () => {
    show(100);
    status.textContent = "Uploaded. Checking the file.";
    percentText.textContent = "100%: checking the file…";
  });
  xhr.addEventListener("load", () => {
    const type = xhr.getResponseHeader("Content-Type") || "";
    if (type.startsWith("application/json")) {
      const answer = JSON.parse(xhr.responseText);
      if (answer.location) {
        window.location.assign(answer.location);
        return;
      }
    }
    if (!type.startsWith("text/html") || !showPage(xhr.responseText)) {
      fallBack();
    }
  });
  xhr.addEventListener("error", fallBack);
  xhr.addEventListener("abort", fallBack);

  panel.hidden = false;
  show(0);
  if (button) {
    button.disabled = true; // one upload at a time
  }
  xhr.send(data);
}

if (supported) {
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-upload-progress")) {
      return;
    }
    const input = form.querySelector("input[type=file]");
    if (!input || input.files.length === 0 || !form.querySelector(".app-upload-progress")) {
      return; // nothing to show progress for (the server says what is missing), or nowhere to show it
    }
    event.preventDefault();
    send(form);
  });
}
