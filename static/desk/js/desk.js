// The desk's small behaviours: keyboard shortcuts, inserting canned replies / KB articles,
// and picking a merge target. Everything here is a shortcut; the pages work without it.
(function () {
  "use strict";

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  function focusField(selector) {
    const field = document.querySelector(selector);
    if (!field) return false;
    const panel = field.closest("details");
    if (panel) panel.open = true;
    field.focus();
    field.scrollIntoView({ block: "center" });
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === "r" && focusField('[data-shortcut="r"]')) event.preventDefault();
    else if (event.key === "n" && focusField('[data-shortcut="n"]')) event.preventDefault();
    else if (event.key === "/" && focusField('[data-shortcut="/"]')) event.preventDefault();
    else if (event.key === "j") {
      const next = document.querySelector('[data-shortcut-link="j"]');
      const workspace = document.getElementById("workspace");
      if (!next) return;
      event.preventDefault();
      const url = new URL(next.href, window.location.href);
      if (workspace) url.searchParams.set("after", workspace.dataset.reference);
      window.location.href = url.toString();
    }
  });

  document.addEventListener("change", function (event) {
    const select = event.target.closest("select[data-insert-into]");
    if (!select || !select.value) return;
    const option = select.options[select.selectedIndex];
    const area = document.getElementById(select.dataset.insertInto);
    if (!area) return;
    const text = option.dataset.text || "";
    const start = area.selectionStart ?? area.value.length;
    const end = area.selectionEnd ?? area.value.length;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.focus();
    area.selectionStart = area.selectionEnd = start + text.length;
    select.value = "";
  });

  document.addEventListener("click", function (event) {
    const pick = event.target.closest("[data-fill]");
    if (!pick) return;
    const field = document.getElementById(pick.dataset.fill);
    if (field) {
      field.value = pick.dataset.value;
      field.focus();
    }
  });
})();

// The queue's filters apply as soon as one is changed (the form is posted: see desk/queue.html);
// the bulk form's tick-all box ticks every ticket of the page.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    const filters = event.target.closest("form.filters");
    if (filters && event.target.matches("select, input[type=date]")) {
      filters.requestSubmit();
      return;
    }
    if (event.target.id === "bulk-all") {
      document.querySelectorAll("input.bulk-pick").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
  });
})();

// Ctrl+Enter (or Cmd+Enter) sends the form being written in; "?" shows the keyboard shortcuts.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      const area = event.target.closest("textarea");
      const form = area && area.form;
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    if (event.key !== "?" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    const help = document.getElementById("shortcut-help");
    if (!help) return;
    event.preventDefault();
    if (help.open) help.close();
    else help.showModal();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-dialog]")) event.target.closest("dialog").close();
    if (event.target.closest("[data-open-shortcuts]")) {
      const help = document.getElementById("shortcut-help");
      if (help) help.showModal();
    }
  });
})();
