// What the server rendered into the annotation page: its data (the page-data JSON: the sequence, its frames and
// tags, the segmenter, the API's URLs), the CSRF token, and the element lookup every module uses.
export const $ = (id) => document.getElementById(id);

export const data = JSON.parse($("page-data").textContent);
export const csrfToken = document.querySelector("[name=csrfmiddlewaretoken]").value;
// The login name the display settings are remembered under.
export const user = $("annotate").dataset.user || "anonymous";

export const urls = {
  ...data.urls,
  comments: `/api/sequences/${data.sequence.id}/comments/`,
  comment: "/api/comments/",
  restore: "/api/masks/restore/",
};

// Tags offered for new masks, by id: {id, name, color, kind, ...}.
export const tagsById = new Map(data.tags.map((t) => [t.id, t]));
// Every tag's name and colour (the timeline's rows of tags not offered for new masks too): id -> {name, color}.
export const allTags = new Map(data.all_tags.map(([id, name, color]) => [id, { name, color }]));

// The frames, in index order. They arrive as parallel arrays (see sequences.views.compact_frames);
// ``mask_count`` is what the page last knew (undefined: unknown, ask the server).
export const frames = (() => {
  const f = data.frames, media = f.media_url;
  return f.ids.map((id, index) => ({
    id, index,
    url: media + f.image_prefix + f.images[index],
    thumbnail_url: media + f.thumbnail_prefix + f.thumbnails[index],
    width: f.size ? f.size[0] : f.sizes[index][0],
    height: f.size ? f.size[1] : f.sizes[index][1],
    mask_count: f.mask_counts[index],
  }));
})();
