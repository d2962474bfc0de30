// Brightness, contrast and gamma of the displayed frame: a per-channel lookup table applied to a copy of the
// frame's pixels for display only (masks, points and what is saved never change). Each user's setting is
// remembered in this browser (localStorage, keyed by the user name).
const NEUTRAL = { brightness: 0, contrast: 0, gamma: 1 };

export class DisplayAdjust {
  // ``user``: the login name the setting is kept under.
  constructor(user) {
    this.key = `workbench.display.${user}`;
    this.settings = { ...NEUTRAL };
    try { Object.assign(this.settings, JSON.parse(window.localStorage.getItem(this.key) || "{}")); } catch (error) { /* a bad entry: neutral */ }
    this.cache = { image: null, signature: "", canvas: null };
  }

  isNeutral() {
    const s = this.settings;
    return s.brightness === NEUTRAL.brightness && s.contrast === NEUTRAL.contrast && s.gamma === NEUTRAL.gamma;
  }

  set(changes) {
    Object.assign(this.settings, changes);
    try { window.localStorage.setItem(this.key, JSON.stringify(this.settings)); } catch (error) { /* private mode */ }
  }

  reset() { this.set({ ...NEUTRAL }); }

  // value' = 255 · ((contrast · (value/255 − ½) + ½ + brightness)) ^ (1 / gamma), clamped to 0…255, with
  // brightness and contrast in −100…100 (brightness adds up to ±½ of the range, contrast scales by 0…3).
  lookupTable() {
    const { brightness, contrast, gamma } = this.settings;
    const scale = contrast >= 0 ? 1 + (2 * contrast) / 100 : 1 + contrast / 100;
    const table = new Uint8ClampedArray(256);
    for (let v = 0; v < 256; v++) {
      let x = scale * (v / 255 - 0.5) + 0.5 + brightness / 200;
      x = Math.min(1, Math.max(0, x));
      table[v] = Math.round(255 * x ** (1 / gamma));
    }
    return table;
  }

  // What to draw for ``image``: the image itself when neutral, else an adjusted copy (kept for the next draw).
  source(image) {
    if (this.isNeutral()) return image;
    const signature = JSON.stringify(this.settings);
    if (this.cache.image === image && this.cache.signature === signature) return this.cache.canvas;
    const canvas = this.cache.image === image && this.cache.canvas ? this.cache.canvas : document.createElement("canvas");
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(image, 0, 0);
    const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height), d = pixels.data;
    const table = this.lookupTable();
    for (let i = 0; i < d.length; i += 4) { d[i] = table[d[i]]; d[i + 1] = table[d[i + 1]]; d[i + 2] = table[d[i + 2]]; }
    ctx.putImageData(pixels, 0, 0);
    this.cache = { image, signature, canvas };
    return canvas;
  }
}

const FIELDS = ["brightness", "contrast", "gamma"];

// The Display panel's sliders and Reset button for ``display``; ``onChange()`` redraws the frame.
export function bindDisplayPanel(display, onChange) {
  const $ = (id) => document.getElementById(id);
  const show = () => {
    for (const name of FIELDS) {
      const value = display.settings[name];
      $(`display-${name}`).value = value;
      $(`display-${name}-value`).textContent = name === "gamma" ? Number(value).toFixed(2) : String(value);
    }
    $("display-panel").classList.toggle("adjusted", !display.isNeutral());
  };
  for (const name of FIELDS) {
    $(`display-${name}`).addEventListener("input", (event) => {
      display.set({ [name]: Number(event.target.value) });
      show();
      onChange();
    });
    $(`display-${name}`).addEventListener("change", (event) => event.target.blur());
  }
  $("display-reset").addEventListener("click", () => { display.reset(); show(); onChange(); });
  show();
}
