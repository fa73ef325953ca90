// Guided interview: y / n / k / r answer the question on screen (yes, no, not known, refused).
// The page works without this file: the answers are plain submit buttons.
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  var form = document.getElementById("guided-form");
  if (!form) return;
  var button = form.querySelector('button[data-key="' + event.key.toLowerCase() + '"]');
  if (button && !button.disabled) {
    event.preventDefault();
    button.click();
  }
});
// after an htmx swap, keep the focus on the new question for screen readers and the keyboard
document.addEventListener("htmx:afterSwap", function (event) {
  if (event.target && event.target.id === "guided") {
    var q = document.getElementById("question") || document.getElementById("stop-here");
    if (q) { q.setAttribute("tabindex", "-1"); q.focus(); }
  }
});
