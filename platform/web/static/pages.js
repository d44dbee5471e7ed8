// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";

  // "Hôm nay": the item list follows the search box as one types (the server folds diacritics and
  // ranks by use); without the script the search form reloads the page.
  function itemSearch() {
    var form = document.getElementById("item-search");
    var box = document.getElementById("item-q");
    var target = document.getElementById("item-choices");
    if (!form || !box || !target) return;
    var url = form.getAttribute("data-choices-url");
    var timer = null;
    var asked = 0;
    function refresh() {
      var params = new URLSearchParams(new FormData(form));
      var mine = ++asked;
      var checked = target.querySelector("input[name=item_id]:checked");
      var keep = checked ? checked.value : null;
      fetch(url + "?" + params.toString(), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null || mine !== asked) return;
          target.innerHTML = html;
          var again = keep && target.querySelector("input[name=item_id][value='" + keep + "']");
          if (again) again.checked = true;
          var hidden = document.querySelector("#add-entry input[name=q]");
          if (hidden) hidden.value = box.value;
        })
        .catch(function () { /* the search button still works */ });
    }
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 150);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      refresh();
    });
  }

  // "Duyệt công việc": the approve button counts what it will do; writing a reason unticks the
  // entry (it will be returned); each person gets a "tick all / none" switch.
  function review() {
    var form = document.getElementById("review-form");
    var button = document.getElementById("approve-selected");
    if (!form || !button) return;
    var label = button.textContent;
    function count() {
      var ticked = form.querySelectorAll("input[name=approve]:checked").length;
      var returning = 0;
      form.querySelectorAll("textarea[data-approve]").forEach(function (area) {
        if (area.value.trim()) returning += 1;
      });
      var text = label + " (" + ticked + ")";
      if (returning) text += " · " + (form.getAttribute("data-returning") || "↩") + " " + returning;
      button.textContent = text;
    }
    form.addEventListener("change", count);
    form.querySelectorAll("textarea[data-approve]").forEach(function (area) {
      area.addEventListener("input", function () {
        var box = document.getElementById(area.getAttribute("data-approve"));
        if (box && area.value.trim()) box.checked = false;
        count();
      });
    });
    form.querySelectorAll("section.person").forEach(function (section) {
      var header = section.querySelector("header");
      var boxes = section.querySelectorAll("input[name=approve]");
      if (!header || !boxes.length) return;
      var toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "link";
      function sync() {
        var all = Array.prototype.every.call(boxes, function (b) { return b.checked; });
        toggle.textContent = all ? form.getAttribute("data-none") : form.getAttribute("data-all");
        toggle.setAttribute("data-all-ticked", all ? "1" : "0");
      }
      toggle.addEventListener("click", function () {
        var tick = toggle.getAttribute("data-all-ticked") !== "1";
        boxes.forEach(function (b) { b.checked = tick; });
        sync();
        count();
      });
      section.addEventListener("change", sync);
      header.appendChild(toggle);
      sync();
    });
    count();
  }

  document.addEventListener("DOMContentLoaded", function () {
    itemSearch();
    review();
  });
})();
