// "Filtrera i listan" (F-LI-4): filters the rows of the page shown as you type. Without
// JavaScript the box stays hidden; search and filters work as a plain form.
(function () {
  "use strict";
  var box = document.querySelector("[data-list-filter]");
  var table = document.querySelector("table.cases");
  if (!box || !table) {
    return;
  }
  var input = box.querySelector("input");
  var status = box.querySelector("[aria-live]");
  var template = box.getAttribute("data-status-template") || "{shown} / {total}";
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-case-id]"));
  var texts = rows.map(function (row) {
    return row.textContent.replace(/\s+/g, " ").toLowerCase();
  });
  var timer = null;

  function apply() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row, i) {
      var match = words.every(function (word) {
        return texts[i].indexOf(word) !== -1;
      });
      row.hidden = !match;
      if (match) {
        shown += 1;
      }
    });
    // Announced once typing pauses, not on every key.
    clearTimeout(timer);
    timer = setTimeout(function () {
      status.textContent = words.length
        ? template.replace("{shown}", String(shown)).replace("{total}", String(rows.length))
        : "";
    }, 400);
  }

  box.hidden = false;
  input.addEventListener("input", apply);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && input.value) {
      input.value = "";
      apply();
    }
  });
})();
