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
  // Ask before destructive actions.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
