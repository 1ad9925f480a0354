// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-autofocus]");
  if (summary) summary.focus();
  // The development sign-in suggests a region for the chosen role.
  const role = document.getElementById("role");
  const region = document.getElementById("region");
  if (role && region && !region.value) {
    const fill = () => { region.value = role.selectedOptions[0]?.dataset.region || ""; };
    fill();
    role.addEventListener("change", fill);
  }
  document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
});
