/*
 * Indsatskataloget's progressive enhancement. Every page works without this file: the list
 * page's filters are a plain GET form with submit buttons, its paging and tags plain links.
 * With JavaScript, htmx (loaded after this file) swaps the results region in place, and this
 * file: marks the page as scripted, submits the form when a checkbox or the sort changes,
 * filters long facet lists, and keeps panels open and focus sensible across swaps. The facet panels are native <details> that
 * the server renders in their final state, so nothing here changes the layout at load; the
 * file is deferred and runs before htmx and the design system's script (same order in <head>).
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var openPanels = null; // ids of facet panels open before the last swap
  var panelShown = null; // whether the whole facet panel was unfolded before the last swap
  var narrow = window.matchMedia("(max-width: 767px)");

  function enhanceFacets(scope) {
    // After a swap, the panels the user had open stay open (and closed ones closed); on first
    // load the server's state stands.
    if (openPanels) {
      scope.querySelectorAll(".facets details.facet-panel[id]").forEach(function (details) {
        details.open = openPanels.indexOf(details.id) !== -1;
      });
    }
    // The filter section is rendered folded; on wide screens it is shown (CSS already shows its
    // content there, so this changes nothing on screen), on a phone it stays as the user had it.
    scope.querySelectorAll("details.facets-toggle").forEach(function (details) {
      details.open = panelShown !== null ? panelShown : !narrow.matches;
    });
  }

  function enhance(scope) {
    enhanceFacets(scope);
  }

  function normalise(text) {
    return text.toLocaleLowerCase("da").normalize("NFKD").replace(/\s+/g, " ").trim();
  }

  // Long facet lists (municipalities, paragraphs): show only the values matching the typed text.
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("[data-facet-filter]")) {
      return;
    }
    var list = document.getElementById(field.getAttribute("data-facet-filter"));
    var wanted = normalise(field.value);
    if (!list) {
      return;
    }
    list.querySelectorAll("li").forEach(function (item) {
      item.hidden = wanted !== "" && normalise(item.textContent).indexOf(wanted) === -1;
    });
  });

  // Enter in the facet filter field narrows the list; it must not submit the form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches("[data-facet-filter]")) {
      event.preventDefault();
    }
  });

  function liveForm(control) {
    // The form the control belongs to: a card's "Sammenlign" box sits inside the results but
    // belongs to the compare tray (form="compare-form"), which is not live.
    return control.form && control.form.matches("[data-live-form]") ? control.form : null;
  }

  function submit(form) {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  // A ticked box or a chosen radio button updates the results at once.
  document.addEventListener("change", function (event) {
    var control = event.target;
    if (!control.matches || !control.matches("input[type=checkbox][name], input[type=radio][name]")) {
      return;
    }
    var form = liveForm(control);
    if (form) {
      submit(form);
    }
  });

  // The sort menu updates the results once a choice is committed, not per arrow key: some
  // browsers fire "change" for each ArrowDown on a closed select, which would rerun the search
  // and add a history entry each time. A pointer choice (mouse, touch) commits at once; with the
  // keyboard, Enter commits, and so does leaving the menu.
  var keyed = null; // the select whose value the keyboard changed and has not committed yet
  var keyedFrom = null; // its value before the keyboard changed it
  document.addEventListener("keydown", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[name]") || !liveForm(select)) {
      return;
    }
    if (event.key === "Enter") {
      event.preventDefault();
      keyed = null;
      submit(select.form);
    } else if (event.key.indexOf("Arrow") === 0 || event.key === "Home" || event.key === "End" ||
               event.key === "PageUp" || event.key === "PageDown" || event.key.length === 1) {
      if (keyed !== select) {
        keyed = select;
        keyedFrom = select.value;
      }
    }
  });
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[name]") || !liveForm(select)) {
      return;
    }
    if (keyed !== select) {
      submit(select.form);
    }
  });
  document.addEventListener("focusout", function (event) {
    var select = event.target;
    if (keyed && keyed === select && liveForm(select)) {
      keyed = null;
      if (select.value !== keyedFrom) {
        submit(select.form);
      }
    }
  });
  document.addEventListener("mousedown", function (event) {
    if (event.target.matches && event.target.matches("select[name]")) {
      keyed = null; // a pointer choice commits on change
    }
  });

  // Shared URLs stay short: empty fields (no query, default sort) are left out.
  document.addEventListener("htmx:configRequest", function (event) {
    var params = event.detail.parameters;
    Object.keys(params).forEach(function (key) {
      if (params[key] === "") {
        delete params[key];
      }
    });
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.querySelectorAll) {
      var toggle = target.querySelector("details.facets-toggle");
      panelShown = toggle ? toggle.open : null;
      openPanels = [];
      target.querySelectorAll(".facets details.facet-panel[open]").forEach(function (details) {
        openPanels.push(details.id);
      });
    }
  });

  // When the focused link was replaced (a page number, a removed tag), continue at the results.
  document.addEventListener("htmx:afterSettle", function () {
    var active = document.activeElement;
    if (!active || active === document.body) {
      var heading = document.getElementById("result-count");
      if (heading) {
        heading.focus();
      }
    }
  });

  // The facet panel has no toggle on wide screens, so it must be open there.
  narrow.addEventListener("change", function () {
    if (!narrow.matches) {
      document.querySelectorAll("details.facets-toggle").forEach(function (details) {
        details.open = true;
      });
    }
  });

  // htmx fires htmx:load on the body at start and on every piece of content it swaps in.
  document.addEventListener("htmx:load", function (event) {
    enhance(event.target === document.body ? document : event.target);
  });

  // Without htmx (blocked, failed to load) the page still gets its components.
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.htmx) {
      enhance(document);
    }
  });
})();
