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
  // With htmx a changed select redraws its part of the form: the buttons that do it without JS can go (app.css).
  if (window.htmx) document.documentElement.classList.add("htmx");
  // The hukou picker: the county chosen gives the code's first 6 digits; another province or city clears a code
  // that no longer fits (without JS the server does both when the form comes back).
  const picks = { region_province: 2, region_city: 4, region_county: 6 };
  document.addEventListener("change", (event) => {
    const select = event.target;
    const code = document.getElementById("hukou_region");
    if (!code || !(select.id in picks)) return;
    const prefix = select.value.slice(0, picks[select.id]);
    if (prefix && code.value.startsWith(prefix)) return;
    code.value = select.id === "region_county" ? select.value : "";
    code.dispatchEvent(new Event("input", { bubbles: true }));
  });
  // A reviewer's case page: each PDF material is fetched only when its <details> is first opened.
  document.querySelectorAll("details[data-material-pdf]").forEach((details) => {
    details.addEventListener("toggle", () => {
      const template = details.querySelector("template");
      if (!details.open || !template) return;
      details.querySelector(".material-pdf-link")?.remove();
      details.append(template.content.cloneNode(true));
      template.remove();
    });
  });
  document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
});
