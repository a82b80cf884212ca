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
