/**
 * One timer for "the kernel has not answered": it runs while the same requests wait,
 * starts over when they change, and stops when nothing waits (or a cell runs). No
 * JupyterLab imports: tested with jest's fake timers (test/timeout.spec.ts).
 */
export class AnswerClock {
  constructor(
    private readonly onTimeout: () => void,
    private readonly timeoutMs: number
  ) {}

  /** `key` names what waits (`null`: nothing, the clock stops); a new key starts it over. */
  update(key: string | null): void {
    if (key === this._key) {
      return; // same requests, same reason: the clock goes on
    }
    this.stop();
    this._key = key;
    if (key !== null) {
      this._timer = setTimeout(() => {
        this._timer = null;
        this._key = null;
        this.onTimeout();
      }, this.timeoutMs);
    }
  }

  stop(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    this._key = null;
  }

  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _key: string | null = null;
}
