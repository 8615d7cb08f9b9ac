// What-if: recompute on the server as the clinician types (no build step, no third party).
// Without JavaScript the form posts normally and the server answers with the result.
"use strict";
(function () {
  const token = document.querySelector('meta[name="csrf-token"]');
  function recompute(form) {
    const target = document.getElementById(form.dataset.result);
    if (!target) { return; }
    const body = new URLSearchParams(new FormData(form));
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": token ? token.content : "", "X-Requested-With": "fetch" },
    }).then(function (response) {
      if (response.status === 401) { window.location.reload(); }  // the session has ended
      return response.text().then(function (html) { return { ok: response.status < 500, html: html }; });
    }).then(function (answer) {
      if (!answer.ok) { return; }
      const holder = document.createElement("div");
      holder.innerHTML = answer.html;
      const fresh = holder.querySelector(".result");
      if (fresh) { target.replaceWith(fresh); }
    }).catch(function () { /* keep the last result; the Recompute button still works */ });
  }
  document.querySelectorAll("form.what-if").forEach(function (form) {
    let timer = null;
    form.addEventListener("submit", function (event) { event.preventDefault(); recompute(form); });
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { recompute(form); }, 250);
    });
    form.addEventListener("change", function () { recompute(form); });
  });
})();
