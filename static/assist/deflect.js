// Deflection on /submit/: as the customer types the subject and description, show matching public
// FAQ articles (debounced; the server rate-limits). Text is set with textContent, never as HTML.
(function () {
  "use strict";
  var box = document.getElementById("faq-suggestions");
  if (!box) return;
  var form = box.closest("form") || document;
  var subject = form.querySelector("[name=subject]");
  var description = form.querySelector("[name=description]");
  var list = box.querySelector("ul");
  var timer = null;
  var last = "";
  var KEY = "assist-faq-visitor";

  // A random key for this tab (never a person's identity), so an opened article and a later
  // submission of the form are counted together ("answered by the FAQ" when no complaint follows).
  function visitor() {
    var key = null;
    try { key = window.sessionStorage.getItem(KEY); } catch (e) { key = null; }
    if (!key) {
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      key = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      try { window.sessionStorage.setItem(KEY, key); } catch (e) { /* counted for this page only */ }
    }
    return key;
  }

  function report(url, fields) {
    var csrf = form.querySelector("[name=csrfmiddlewaretoken]");
    var data = new FormData();
    data.append("visitor", visitor());
    if (csrf) data.append("csrfmiddlewaretoken", csrf.value);
    Object.keys(fields).forEach(function (name) { data.append(name, fields[name]); });
    if (navigator.sendBeacon && navigator.sendBeacon(url, data)) return;
    fetch(url, { method: "POST", body: data, credentials: "same-origin", keepalive: true }).catch(function () {});
  }

  function show(articles) {
    while (list.firstChild) list.removeChild(list.firstChild);
    articles.forEach(function (article) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = article.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = article.title;
      link.addEventListener("click", function () {
        report(box.dataset.openedUrl, { slug: article.slug });
        try { window.sessionStorage.setItem(KEY + "-opened", "1"); } catch (e) { /* ignore */ }
      });
      var excerpt = document.createElement("span");
      excerpt.className = "help";
      excerpt.textContent = article.excerpt;
      item.appendChild(link);
      item.appendChild(document.createElement("br"));
      item.appendChild(excerpt);
      list.appendChild(item);
    });
    box.hidden = articles.length === 0;
  }

  function ask() {
    var text = ((subject && subject.value) || "") + "\n" + ((description && description.value) || "");
    text = text.trim();
    if (text === last) return;
    last = text;
    if (text.length < 2) { show([]); return; }
    fetch(box.dataset.url + "?q=" + encodeURIComponent(text.slice(0, 2000)), {
      headers: { "Accept": "application/json" }, credentials: "same-origin"
    })
      .then(function (response) { return response.ok ? response.json() : { articles: [] }; })
      .then(function (body) { if (text === last) show(body.articles || []); })
      .catch(function () { /* deflection is a help, never in the way of the form */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(ask, 400);
  }

  [subject, description].forEach(function (field) {
    if (field) field.addEventListener("input", later);
  });

  if (form.addEventListener) {
    form.addEventListener("submit", function () {
      var opened = null;
      try { opened = window.sessionStorage.getItem(KEY + "-opened"); } catch (e) { opened = null; }
      if (opened) report(box.dataset.submittedUrl, {});
    });
  }
})();
