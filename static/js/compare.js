/*
 * The compare tray: keeps the entries chosen with the cards' "Sammenlign" boxes while the visitor
 * filters, pages and opens entries (sessionStorage, this tab only; nothing leaves the browser).
 * Without this file the boxes still work: they belong to the tray's GET form (form="compare-form"),
 * so the boxes ticked on one page are compared. htmx swaps the results; the tray stays, and this
 * file ticks the boxes of chosen entries again in the new results.
 */
(function () {
  "use strict";

  var KEY = "indsatskataloget.compare";
  var MAX = 4;
  var BOXES = "input[type=checkbox][form=compare-form]";

  function load() {
    try {
      var items = JSON.parse(window.sessionStorage.getItem(KEY) || "[]");
      return Array.isArray(items) ? items.slice(0, MAX) : [];
    } catch (error) {
      return [];
    }
  }

  function save(items) {
    try {
      window.sessionStorage.setItem(KEY, JSON.stringify(items));
    } catch (error) {
      // Storage refused (private mode): the tray lasts until the next page load.
    }
  }

  function render() {
    var list = document.querySelector("[data-compare-tray]");
    if (!list) {
      return;
    }
    var items = load();
    var removeLabel = list.getAttribute("data-remove-label") || "Fjern";
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "indsats";
      input.value = item.slug;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button-unstyled compare-tray-remove";
      button.setAttribute("data-compare-remove", item.slug);
      button.setAttribute("aria-label", removeLabel + " " + item.title);
      button.textContent = "×";
      li.appendChild(input);
      li.appendChild(document.createTextNode(item.title + " "));
      li.appendChild(button);
      list.appendChild(li);
    });
    document.querySelectorAll(BOXES).forEach(function (box) {
      box.checked = items.some(function (item) {
        return item.slug === box.value;
      });
    });
    var tray = list.closest("form");
    if (tray) {
      tray.classList.toggle("compare-tray-active", items.length > 0);
    }
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches(BOXES)) {
      return;
    }
    var items = load().filter(function (item) {
      return item.slug !== box.value;
    });
    if (box.checked) {
      if (items.length >= MAX) {
        box.checked = false;
        var help = document.querySelector(".compare-tray-help");
        if (help) {
          help.classList.add("compare-tray-full");
        }
        return;
      }
      items.push({ slug: box.value, title: box.getAttribute("data-title") || box.value });
    }
    save(items);
    render();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-compare-remove]");
    if (!button) {
      return;
    }
    var slug = button.getAttribute("data-compare-remove");
    save(load().filter(function (item) {
      return item.slug !== slug;
    }));
    render();
  });

  document.addEventListener("htmx:load", render);
  document.addEventListener("DOMContentLoaded", render);
  window.addEventListener("pageshow", render);
})();
