// SeSAC MS: small behaviours without inline script (the CSP forbids it).

// Consequential actions ask first. A form with data-confirm="sentence" (built on the server,
// naming what will happen and to whom) opens the one dialog of base.html (#confirm-dialog):
// data-confirm-button labels its action button. A form whose sentence depends on a choice
// names the field in data-confirm-field and carries data-confirm-<value> per value (an empty
// one: that value needs no confirmation). Without the dialog, window.confirm asks instead.
function confirmSentence(form) {
  const field = form.dataset.confirmField;
  if (field && form.elements[field]) {
    const specific = form.getAttribute(`data-confirm-${form.elements[field].value}`);
    if (specific !== null) {
      return specific;
    }
  }
  return form.dataset.confirm;
}

// "{n}" in a sentence: how many boxes named data-confirm-count are ticked (bulk actions).
function withCount(form, sentence) {
  const name = form.dataset.confirmCount;
  if (!name || !sentence) {
    return sentence;
  }
  const ticked = form.querySelectorAll(`input[name="${name}"]:checked`).length;
  return sentence.replaceAll("{n}", String(ticked));
}

function askInDialog(dialog, form, submitter, sentence) {
  const modal = window.bootstrap.Modal.getOrCreateInstance(dialog);
  const ok = dialog.querySelector("[data-confirm-ok]");
  const danger = Boolean(submitter && /\bbtn-(outline-)?danger\b/.test(submitter.className));
  dialog.querySelector("[data-confirm-text]").textContent = sentence;
  ok.textContent = form.dataset.confirmButton || (submitter && submitter.textContent.trim()) || ok.dataset.label;
  ok.classList.toggle("btn-danger", danger);
  ok.classList.toggle("btn-primary", !danger);
  let accepted = false;
  let shown = false;
  // Bootstrap ignores hide() while the dialog is still fading in: an answer given then (a
  // quick tap, Enter) is acted on once it has opened, instead of leaving it open and deaf.
  const accept = () => {
    accepted = true;
    if (shown) {
      modal.hide();
    }
  };
  ok.addEventListener("click", accept, { once: true });
  dialog.addEventListener(
    "shown.bs.modal",
    () => {
      shown = true;
      if (accepted) {
        modal.hide();
      } else {
        dialog.querySelector("[data-confirm-cancel]").focus();
      }
    },
    { once: true },
  );
  dialog.addEventListener(
    "hidden.bs.modal",
    () => {
      ok.removeEventListener("click", accept);
      if (accepted) {
        form.dataset.confirmed = "yes";
        form.requestSubmit(submitter || undefined);
      } else if (submitter) {
        submitter.focus();  // Cancel, Esc or the close button: back where the person was
      }
    },
    { once: true },
  );
  modal.show();
}

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (!form) {
    return;
  }
  if (form.dataset.confirmed === "yes") {
    delete form.dataset.confirmed;  // asked and accepted: let this submission through
    return;
  }
  const sentence = withCount(form, confirmSentence(form));
  if (!sentence) {
    return;
  }
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog || !window.bootstrap) {
    if (!window.confirm(sentence)) {
      event.preventDefault();
    }
    return;
  }
  event.preventDefault();
  askInDialog(dialog, form, event.submitter, sentence);
});

// Stacked tables on phones: a cell without its own data-label takes its column's header.
document.querySelectorAll("table.table-stack").forEach((table) => {
  const headers = [];
  table.querySelectorAll(":scope > thead > tr:first-child > th").forEach((th) => {
    for (let i = 0; i < (th.colSpan || 1); i += 1) {
      headers.push(th.textContent.trim());
    }
  });
  table.querySelectorAll(":scope > tbody > tr").forEach((row) => {
    let column = 0;
    Array.from(row.cells).forEach((cell) => {
      if (!cell.hasAttribute("data-label") && headers[column] && cell.colSpan === 1) {
        cell.setAttribute("data-label", headers[column]);
      }
      column += cell.colSpan || 1;
    });
  });
});
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select) {
    select.form.requestSubmit();
  }
});

// The outcome form shows only the part for the chosen outcome (select[data-outcome-kind]):
// the other parts ([data-outcome-kinds]) are hidden and disabled, so they are not sent.
// Without this script every part shows, with a note ([data-outcome-note]) saying which apply.
function showOutcomeParts(select) {
  const form = select.form;
  form.querySelectorAll("[data-outcome-kinds]").forEach((part) => {
    const applies = part.dataset.outcomeKinds.split(" ").includes(select.value);
    part.hidden = !applies;
    part.disabled = !applies;
  });
  form.querySelectorAll("[data-outcome-note]").forEach((note) => {
    note.hidden = true;
  });
}
document.querySelectorAll("select[data-outcome-kind]").forEach(showOutcomeParts);
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-outcome-kind]");
  if (select) {
    showOutcomeParts(select);
  }
});

// A region that scrolls sideways (a wide table on a phone) takes keyboard focus, so it can
// be scrolled with the arrow keys (WCAG 2.1.1); it is named after its table's caption or
// the heading above it. Checked again when the width changes.
function focusableScrollRegions() {
  document.querySelectorAll(".table-responsive").forEach((region) => {
    const scrolls = region.scrollWidth > region.clientWidth + 1;
    if (scrolls && !region.hasAttribute("tabindex")) {
      region.setAttribute("tabindex", "0");
      region.dataset.scrollRegion = "yes";
      if (!region.hasAttribute("aria-label") && !region.hasAttribute("aria-labelledby")) {
        const caption = region.querySelector("caption");
        const heading = caption ? null : region.closest("section, .card, main")?.querySelector("h1, h2, h3");
        const name = (caption || heading)?.textContent.trim();
        if (name) {
          region.setAttribute("role", "region");
          region.setAttribute("aria-label", name);
        }
      }
    } else if (!scrolls && region.dataset.scrollRegion === "yes") {
      region.removeAttribute("tabindex");
      delete region.dataset.scrollRegion;
    }
  });
}
focusableScrollRegions();
window.addEventListener("resize", focusableScrollRegions);

// A form sent back with errors: the first invalid field takes focus, so a screen reader
// reads it with its error (aria-describedby) at once.
document.querySelector('[aria-invalid="true"]:not([type="hidden"])')?.focus();

// Tabs that scroll sideways on a phone: the active tab in sight, not cut at the edge.
document.querySelectorAll(".nav.overflow-auto").forEach((nav) => {
  const active = nav.querySelector(".nav-link.active");
  if (active && active.offsetLeft + active.offsetWidth > nav.clientWidth) {
    nav.scrollLeft = active.offsetLeft - 16;
  }
});
