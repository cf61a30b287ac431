// The access report's Print button (a file, as the page's policy allows no inline script).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-report");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
});
