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
