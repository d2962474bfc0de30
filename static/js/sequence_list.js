// The sequences list: choosing a status in a row's select saves it at once (without JavaScript, its Set button).
for (const select of document.querySelectorAll(".status-form select[name=status]")) {
  select.addEventListener("change", () => select.form.submit());
}
