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

  function show(articles) {
    while (list.firstChild) list.removeChild(list.firstChild);
    articles.forEach(function (article) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = article.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = article.title;
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
})();
