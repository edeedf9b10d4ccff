// Progressive enhancement only: every page works without this file.
// A pending object that was being deleted is gone once applied: its state fragment answers 404, so the polling
// element is replaced by a final "Deleted" (htmx does not swap error responses, and would keep polling).
document.addEventListener("htmx:responseError", function (event) {
  var element = event.detail.elt;
  if (event.detail.xhr.status === 404 && element.hasAttribute("data-state")) {
    var done = document.createElement("span");
    done.className = "state state-deleted";
    done.setAttribute("role", "status");
    done.textContent = "Deleted";
    element.replaceWith(done);
  }
});
