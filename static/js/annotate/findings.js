// Frame-level findings on the annotation page: the list (the current frame's highlighted, a click jumps to the
// first frame), the form to add or change one over a range of frames (its range follows the current frame until
// the annotator sets it), deleting one (asks first).
export class Findings {
  // ``api(url, options)``: the page's JSON fetch; ``urls``: {findings, finding}; ``currentIndex()``;
  // ``showFrame(index)``; ``onChanged()`` after a write (the timeline); ``setStatus(text, isError)``.
  constructor({ api, urls, currentIndex, showFrame, onChanged, setStatus }) {
    Object.assign(this, { api, urls, currentIndex, showFrame, onChanged, setStatus });
    this.all = [];
    this.editing = null;
    this.rangeSet = false;
    const $ = (id) => document.getElementById(id);
    this.el = {
      list: $("finding-list"), form: $("finding-form"), tag: $("finding-tag"), first: $("finding-first"),
      last: $("finding-last"), note: $("finding-note"), save: $("save-finding"), cancel: $("cancel-finding"),
    };
    this.el.form.addEventListener("submit", (event) => { event.preventDefault(); this.save(); });
    this.el.cancel.addEventListener("click", () => this.resetForm());
    $("finding-first-here").addEventListener("click", () => this.setRangeEnd("first"));
    $("finding-last-here").addEventListener("click", () => this.setRangeEnd("last"));
    for (const input of [this.el.first, this.el.last]) input.addEventListener("input", () => { this.rangeSet = true; });
  }

  async load() {
    try {
      this.all = (await this.api(this.urls.findings)).findings;
      this.render();
    } catch (error) { this.setStatus(error.message, true); }
  }

  // The current frame changed: its findings highlighted, the range follows it until set.
  frameChanged(index) {
    this.render();
    if (!this.rangeSet) { this.el.first.value = index + 1; this.el.last.value = index + 1; }
  }

  // First or last frame of the range = the current frame.
  setRangeEnd(end) {
    this.el[end].value = this.currentIndex() + 1;
    this.rangeSet = true;
  }

  submit() { this.el.form.requestSubmit(); }

  render() {
    const list = this.el.list, index = this.currentIndex();
    list.replaceChildren();
    if (!this.all.length) {
      list.innerHTML = '<p class="muted small">No frame finding yet: tag a frame or a range of frames above.</p>';
      return;
    }
    for (const finding of this.all) {
      const here = finding.first_index <= index && index <= finding.last_index;
      const row = document.createElement("div");
      row.className = `finding-row${here ? " here" : ""}`;
      row.dataset.findingId = finding.id;
      const range = finding.first_index === finding.last_index ? `frame ${finding.first_index + 1}` : `frames ${finding.first_index + 1}–${finding.last_index + 1}`;
      row.innerHTML = `<span class="swatch"></span><a href="#" class="info"></a>
        <button type="button" class="small edit-finding" title="Change this finding">Edit</button>
        <button type="button" class="small danger delete-finding" title="Delete this finding">Delete</button>`;
      row.querySelector(".swatch").style.background = finding.color;
      row.querySelector(".info").textContent = `${finding.tag} · ${range}${finding.note ? ` · ${finding.note}` : ""}`;
      row.querySelector(".info").addEventListener("click", (event) => { event.preventDefault(); this.showFrame(finding.first_index); });
      row.querySelector(".edit-finding").addEventListener("click", () => this.edit(finding));
      row.querySelector(".delete-finding").addEventListener("click", () => this.remove(finding));
      list.appendChild(row);
    }
  }

  resetForm() {
    this.editing = null;
    this.rangeSet = false;
    this.el.first.value = this.currentIndex() + 1;
    this.el.last.value = this.currentIndex() + 1;
    this.el.note.value = "";
    this.el.save.textContent = "Add finding";
    this.el.cancel.hidden = true;
  }

  edit(finding) {
    this.editing = finding;
    this.rangeSet = true;
    this.el.tag.value = finding.tag_id;
    this.el.first.value = finding.first_index + 1;
    this.el.last.value = finding.last_index + 1;
    this.el.note.value = finding.note;
    this.el.save.textContent = "Update finding";
    this.el.cancel.hidden = false;
  }

  async save() {
    const body = {
      tag_id: parseInt(this.el.tag.value, 10),
      first_index: parseInt(this.el.first.value, 10) - 1,
      last_index: parseInt(this.el.last.value, 10) - 1,
      note: this.el.note.value,
    };
    if (Number.isNaN(body.first_index)) body.first_index = this.currentIndex();
    if (Number.isNaN(body.last_index)) body.last_index = body.first_index;
    try {
      const editing = this.editing;
      const saved = await this.api(editing ? `${this.urls.finding}${editing.id}/` : this.urls.findings,
        { method: editing ? "PATCH" : "POST", body: JSON.stringify(body) });
      this.setStatus(`${editing ? "Updated" : "Added"} ${saved.tag} on frames ${saved.first_index + 1}–${saved.last_index + 1}.`);
      this.resetForm();
      await Promise.all([this.load(), this.onChanged()]);
    } catch (error) { this.setStatus(error.message, true); }
  }

  async remove(finding) {
    if (!window.confirm(`Delete the finding “${finding.tag}” on frames ${finding.first_index + 1}–${finding.last_index + 1}?`)) return;
    try {
      await this.api(`${this.urls.finding}${finding.id}/`, { method: "DELETE" });
      this.setStatus(`Deleted the finding “${finding.tag}”.`);
      if (this.editing?.id === finding.id) this.resetForm();
      await Promise.all([this.load(), this.onChanged()]);
    } catch (error) { this.setStatus(error.message, true); }
  }
}
