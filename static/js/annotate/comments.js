// Comments on the current frame, or on one of its masks: listed with author and time, added from a small form,
// deleted by their author (or a reviewer: the server decides). The frames with comments are marked on the
// timeline (``onCounts``).
export class Comments {
  // ``api(url, options)``: the page's JSON fetch; ``urls``: {comments, comment}; ``onCounts(Map index → n)``.
  constructor({ api, urls, list, form, text, about, onCounts, onError }) {
    Object.assign(this, { api, urls, list, form, text, about, onCounts, onError });
    this.all = [];
    this.frame = null;  // {id, index}
    this.masks = [];
    form.addEventListener("submit", (event) => { event.preventDefault(); this.add(); });
  }

  async load() {
    try {
      this.all = (await this.api(this.urls.comments)).comments;
    } catch (error) { this.onError(error); return; }
    this.counted();
    this.render();
  }

  counted() {
    const counts = new Map();
    for (const c of this.all) counts.set(c.frame_index, (counts.get(c.frame_index) || 0) + 1);
    this.onCounts(counts);
  }

  // The frame shown and its masks (for the "about" choice).
  show(frame, masks) {
    this.frame = frame;
    this.masks = masks;
    const chosen = this.about.value;
    this.about.replaceChildren(new Option("The frame", ""));
    for (const mask of masks) this.about.add(new Option(`Mask #${mask.id} (${mask.tag})`, String(mask.id)));
    if ([...this.about.options].some((o) => o.value === chosen)) this.about.value = chosen;
    this.render();
  }

  render() {
    this.list.replaceChildren();
    const here = this.frame ? this.all.filter((c) => c.frame_id === this.frame.id) : [];
    if (!here.length) {
      const empty = document.createElement("p");
      empty.className = "muted small";
      empty.textContent = "No comment on this frame.";
      this.list.appendChild(empty);
      return;
    }
    for (const comment of here) {
      const row = document.createElement("div");
      row.className = "comment-row";
      row.dataset.commentId = comment.id;
      const head = document.createElement("div");
      head.className = "comment-head small muted";
      const when = new Date(comment.created_at);
      head.textContent = `${comment.created_by || "someone"} · ${when.toLocaleString()}${comment.mask_id ? ` · on mask #${comment.mask_id}` : ""}`;
      head.title = comment.created_at;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "small danger delete-comment";
      remove.textContent = "Delete";
      remove.title = "Delete this comment";
      remove.addEventListener("click", () => this.remove(comment));
      head.appendChild(remove);
      const text = document.createElement("div");
      text.className = "comment-text";
      text.textContent = comment.text;  // never HTML
      row.append(head, text);
      this.list.appendChild(row);
    }
  }

  async add() {
    const text = this.text.value.trim();
    if (!text || !this.frame) return;
    const body = { frame_id: this.frame.id, text };
    if (this.about.value) body.mask_id = Number(this.about.value);
    try {
      const saved = await this.api(this.urls.comments, { method: "POST", body: JSON.stringify(body) });
      this.all.push(saved);
      this.text.value = "";
      this.text.blur();
      this.counted();
      this.render();
    } catch (error) { this.onError(error); }
  }

  async remove(comment) {
    if (!window.confirm(`Delete the comment of ${comment.created_by || "someone"}: “${comment.text.slice(0, 60)}”?`)) return;
    try {
      await this.api(`${this.urls.comment}${comment.id}/`, { method: "DELETE" });
      this.all = this.all.filter((c) => c.id !== comment.id);
      this.counted();
      this.render();
    } catch (error) { this.onError(error); }
  }
}
