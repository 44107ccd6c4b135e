// The session forms' trainee search (templates/sessions/_trainee_search.html): typing lists
// the matching trainees in the form's select without a reload, one match is chosen, and the
// status line says what was found. Without this script the search reloads the page.
document.querySelectorAll("form[data-trainee-search]").forEach((search) => {
  const select = document.getElementById(search.dataset.traineeSelect);
  const input = search.querySelector('input[name="q"]');
  const status = search.querySelector("[data-trainee-status]");
  if (!select || !input) return;
  let timer = null;
  let latest = 0;

  async function find() {
    clearTimeout(timer);
    const ticket = ++latest;
    const url = `${search.dataset.traineeSearch}?q=${encodeURIComponent(input.value.trim())}`;
    let found;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return false;
      found = await response.json();
    } catch {
      return false;
    }
    if (ticket !== latest) return null; // a later search is under way
    const chosen = select.value;
    const options = found.choices.map(([value, label]) => new Option(label, value));
    select.replaceChildren(select.options[0], ...options); // keeps "Choose…"
    if (options.length === 1) select.value = options[0].value;
    else if (found.choices.some(([value]) => value === chosen)) select.value = chosen;
    else select.value = "";
    if (status) status.textContent = found.message;
    return true;
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(find, 250);
  });
  search.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = await find();
    if (done) select.focus();
    else if (done === false) search.submit(); // the request failed: search the plain way
  });
});
