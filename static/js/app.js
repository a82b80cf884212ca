// printconnect: tiny progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Show the store choices only when the "Store manager" role is picked.
  document.querySelectorAll("[data-role-form]").forEach((form) => {
    const stores = form.querySelector("[data-stores-field]");
    if (!stores) return;
    const sync = () => {
      const picked = form.querySelector("input[name=role]:checked");
      stores.hidden = !(picked && picked.value === "store_manager");
    };
    form.addEventListener("change", sync);
    sync();
  });
  // A switch that shows a panel when checked (or, with data-reveal-when="unchecked", when unchecked).
  document.querySelectorAll("[data-reveals]").forEach((input) => {
    const target = document.querySelector(input.dataset.reveals);
    if (!target) return;
    const sync = () => {
      target.hidden = input.dataset.revealWhen === "unchecked" ? input.checked : !input.checked;
    };
    input.addEventListener("change", sync);
  });
  // A button that puts a switch back on (and lets the switch react).
  document.querySelectorAll("[data-recheck]").forEach((button) => {
    button.addEventListener("click", () => {
      const input = document.querySelector(button.dataset.recheck);
      if (!input) return;
      input.checked = true;
      input.dispatchEvent(new Event("change"));
    });
  });
  // Ask before destructive actions.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});

// "Add line" on the Place order form: copies the last line row with the next formset index (the form also works
// without this: it offers a few blank rows).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector("[data-add-line]");
  const total = document.querySelector("#id_lines-TOTAL_FORMS");
  const list = document.querySelector("#order-lines");
  if (!button || !total || !list) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    const rows = list.querySelectorAll("[data-line]");
    const last = rows[rows.length - 1];
    const index = Number(total.value);
    const copy = last.cloneNode(true);
    copy.querySelectorAll(".invalid-feedback, .alert").forEach((node) => node.remove());
    copy.querySelectorAll("input, select, label").forEach((node) => {
      for (const name of ["name", "id", "for"]) {
        const value = node.getAttribute(name);
        if (value) node.setAttribute(name, value.replace(/lines-\d+-/, `lines-${index}-`));
      }
      if (node.tagName === "INPUT") node.value = "";
      if (node.tagName === "SELECT") node.selectedIndex = 0;
      node.classList.remove("is-invalid");
    });
    list.appendChild(copy);
    total.value = String(index + 1);
  });
});
