/* Small behaviours the pages ask for with data attributes, so that no page needs an inline
   script, an on...= handler or a style attribute (the Content-Security-Policy allows none):
   - data-submit-on-change: changing this field submits its form (the day pickers);
   - data-select-all="<selector>": this checkbox checks or unchecks every box it names;
   - data-percent="<0..100>": the element's width, for bars drawn with CSS.
   Listeners sit on the document, so content htmx swaps in later works the same. */
(function () {
  "use strict";

  function drawWidths(root) {
    root.querySelectorAll("[data-percent]").forEach(function (element) {
      element.style.width = element.dataset.percent + "%";
    });
  }

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches("[data-submit-on-change]") && field.form) {
      field.form.submit();
    } else if (field.matches("[data-select-all]")) {
      document.querySelectorAll(field.dataset.selectAll).forEach(function (box) {
        box.checked = field.checked;
      });
    }
  });
  document.addEventListener("DOMContentLoaded", function () { drawWidths(document); });
  document.addEventListener("htmx:load", function (event) { drawWidths(event.target); });
})();
