// Playing the sequence in the annotator, to check a track in motion: frame after frame at a chosen speed, each
// frame shown with its masks before the next is asked for (a slow frame slows the playing, it is never skipped),
// stopping at the last frame.
export class Player {
  // ``showFrame(index)``: resolves once the frame and its masks are drawn; ``onChange(playing)``.
  constructor({ frameCount, showFrame, currentIndex, onChange }) {
    this.frameCount = frameCount;
    this.showFrame = showFrame;
    this.currentIndex = currentIndex;
    this.onChange = onChange;
    this.fps = 10;
    this.playing = false;
    this.run = 0;
  }

  async play() {
    if (this.playing) return;
    if (this.currentIndex() >= this.frameCount - 1) await this.showFrame(0);  // from the start again
    this.playing = true;
    const run = ++this.run;
    this.onChange(true);
    while (this.playing && run === this.run) {
      const started = performance.now();
      const next = this.currentIndex() + 1;
      if (next >= this.frameCount) break;
      await this.showFrame(next);
      if (this.currentIndex() !== next) break;  // the frame did not change (unsaved edits kept it)
      const wait = 1000 / this.fps - (performance.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    if (run === this.run) this.stop();
  }

  stop() {
    if (!this.playing) return;
    this.playing = false;
    this.run++;
    this.onChange(false);
  }

  toggle() { if (this.playing) this.stop(); else this.play(); }
}
